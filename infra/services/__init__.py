"""The services `python -m infra` manages, in dependency order (apply runs them top to bottom, destroy
bottom to top). To add one: write `infra/services/<name>.py` exposing `NAME`, `plan(ctx)` and
`plan_destroy(ctx, *, force_data_loss)` (see infra/README.md), then list it here after what it uses."""

from __future__ import annotations

from infra.engine import Service
from infra.services import (
    compute,
    dns,
    efs,
    iam,
    ingestion,
    monitoring,
    network,
    outputs,
    schedule,
    secrets,
    site,
    storage,
)

SERVICES: tuple[Service, ...] = (
    storage,
    iam,
    ingestion,
    secrets,
    site,
    outputs,
    network,
    efs,
    dns,
    compute,
    schedule,
    monitoring,
)


def select(only: str | None) -> tuple[Service, ...]:
    """`--only storage,iam` → those services in dependency order; unknown names are an error."""
    if not only:
        return SERVICES
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    known = {s.NAME for s in SERVICES}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ValueError(
            f"--only: unknown service(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return tuple(s for s in SERVICES if s.NAME in wanted)
