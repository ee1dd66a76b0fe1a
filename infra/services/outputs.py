"""outputs: what the Chalice app needs from the infrastructure, written into the stage named after the env
in `chalice_app/.chalice/config.json` (bucket names, role ARNs per function, env vars), so nothing is
hard-coded in the app. Only the keys below are written; other stages, top-level keys and any other keys of
the stage are left as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra import naming
from infra.engine import Action, Call, Context, Kind
from infra.services.ingestion import INGESTION_COMPONENT, LAMBDA_LOG_RETENTION_DAYS
from infra.tags import standard_tags
from mplat.files import write_atomic

NAME = "outputs"
NEW_CONFIG = {"version": "2.0", "app_name": "mplat", "stages": {}}


def desired_stage(ctx: Context) -> dict[str, Any]:
    env, account = ctx.env, ctx.account_id
    ingest_role = naming.role_arn(env, "ingest-lambda", account)
    transform_role = naming.role_arn(env, "transform-lambda", account)
    functions = {
        naming.ingest_function(source): {"iam_role_arn": ingest_role}
        for source in ctx.config.ingestion_sources
    }
    functions[naming.TRANSFORM_FUNCTION] = {"iam_role_arn": transform_role}
    return {
        # Chalice puts these on every Lambda it creates (plus its own `aws-chalice` tag); the log groups carry
        # the same set because the ingestion service creates them first.
        "tags": standard_tags(ctx.config, INGESTION_COMPONENT),
        "log_retention_in_days": LAMBDA_LOG_RETENTION_DAYS,
        "api_gateway_stage": "api",
        "manage_iam_role": False,
        "autogen_policy": False,
        "iam_role_arn": transform_role,
        "environment_variables": {
            "MPLAT_ENV": env,
            "RAW_BUCKET": naming.raw_bucket(env, account),
            "DERIVED_BUCKET": naming.derived_bucket(env, account),
            "SECRET_PREFIX": f"mplat/{env}/ingest/",
        },
        "lambda_functions": functions,
    }


def read_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        return json.loads(json.dumps(NEW_CONFIG))
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); fix or remove it, then re-run apply") from exc
    if not isinstance(config, dict) or not isinstance(config.get("stages", {}), dict):
        raise ValueError(f'{path}: expected an object with a "stages" object')
    return config


def contains(actual: Any, desired: Any) -> bool:
    """True when every key of `desired` is in `actual` with the same value (recursively)."""
    if isinstance(desired, dict):
        return isinstance(actual, dict) and all(
            k in actual and contains(actual[k], v) for k, v in desired.items()
        )
    return actual == desired


def merged(actual: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    out = dict(actual)
    for key, value in desired.items():
        out[key] = (
            merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def write_config(path: Path, config: dict[str, Any]) -> None:
    """Never leave a half-written config.json: written beside it, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(config, indent=2, sort_keys=False) + "\n")


def plan(ctx: Context) -> list[Action]:
    path = ctx.chalice_config
    config = read_config(path)
    stage = config.get("stages", {}).get(ctx.env)
    desired = desired_stage(ctx)
    if stage is not None and contains(stage, desired):
        return []

    def write() -> None:
        current = read_config(path)
        stages = current.setdefault("stages", {})
        stages[ctx.env] = merged(stages.get(ctx.env, {}), desired)
        write_config(path, current)

    kind: Kind = "create" if stage is None else "update"
    changes = () if stage is None else tuple(k for k, v in desired.items() if not contains(stage.get(k), v))
    step = Call(f"write stage {ctx.env} of {path.name}", write)
    return [Action(NAME, kind, f"chalice-stage {ctx.env} in {path}", changes, (step,))]


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    path = ctx.chalice_config
    if not path.exists() or ctx.env not in read_config(path).get("stages", {}):
        return []

    def remove() -> None:
        current = read_config(path)
        current.get("stages", {}).pop(ctx.env, None)
        write_config(path, current)

    step = Call(f"remove stage {ctx.env} from {path.name}", remove)
    return [Action(NAME, "delete", f"chalice-stage {ctx.env} in {path}", (), (step,))]
