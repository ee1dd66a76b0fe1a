"""What the analysis notebooks read from their environment, parsed once and checked.

The Fargate task sets `MPLAT_ENV`, `RAW_BUCKET`, `DERIVED_BUCKET` and `SCRATCH_DIR` (see the backend contract);
the other variables have defaults for production and exist so tests and laptops can override them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Decimal gigabytes on purpose: the guard trips before the EFS size alarm (> 2 GB metered) does.
DEFAULT_SCRATCH_LIMIT_BYTES = 2_000_000_000
DEFAULT_PATIENCE_SECONDS = 30.0
DEFAULT_SCRATCH_DIR = Path("/app/scratch")
# Relative to the folder the server starts in: the project (the image's /app mirrors its layout).
DEFAULT_SAMPLE_DATA_DIR = Path("data") / "examples"


class NotebookEnvError(ValueError):
    """An environment variable holds a value the notebooks cannot use."""


@dataclass(frozen=True, kw_only=True)
class NotebookEnv:
    mplat_env: str
    raw_bucket: str | None
    derived_bucket: str | None
    scratch_dir: Path
    scratch_limit_bytes: int
    sample_data_dir: Path
    # After this many seconds a long analysis tells the user it is still working.
    patience_seconds: float

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> NotebookEnv:
        env = os.environ if environ is None else environ
        return cls(
            mplat_env=env.get("MPLAT_ENV", "local"),
            raw_bucket=env.get("RAW_BUCKET") or None,
            derived_bucket=env.get("DERIVED_BUCKET") or None,
            scratch_dir=Path(env.get("SCRATCH_DIR") or DEFAULT_SCRATCH_DIR),
            scratch_limit_bytes=_positive(env, "SCRATCH_LIMIT_BYTES", DEFAULT_SCRATCH_LIMIT_BYTES, int),
            sample_data_dir=Path(env.get("SAMPLE_DATA_DIR") or DEFAULT_SAMPLE_DATA_DIR),
            patience_seconds=_positive(
                env, "LONG_ANALYSIS_PATIENCE_SECONDS", DEFAULT_PATIENCE_SECONDS, float
            ),
        )


def _positive[T: (int, float)](env: Mapping[str, str], name: str, default: T, kind: type[T]) -> T:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise NotebookEnvError(
            f"{name}={raw!r} is not a {'whole ' if kind is int else ''}number: unset it or give one"
        ) from None
    if value <= 0:
        raise NotebookEnvError(f"{name}={raw!r} must be greater than zero")
    return value
