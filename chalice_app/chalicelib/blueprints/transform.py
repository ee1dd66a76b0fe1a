"""`transform-raw-function`: every object created in the raw bucket, dispatched to the transforms matching its key.

No prefix/suffix on the trigger: S3 forbids overlapping filters and moto rejects them; `dispatch` filters.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import aws, stage, transforms
from chalicelib.logs import RunLog
from chalicelib.settings import Settings

bp = Blueprint(__name__)


@bp.on_s3_event(bucket=stage.raw_bucket(), events=["s3:ObjectCreated:*"], name=stage.TRANSFORM_FUNCTION)
def transform_raw(event: Any) -> dict[str, Any]:
    settings = Settings.from_environ()
    log = RunLog(context={"function": "transform_raw", "env": settings.env})
    if event.bucket != settings.raw_bucket:
        log.warning("event from an unexpected bucket, ignored", bucket=event.bucket, key=event.key)
        return {"key": event.key, "transforms": []}
    ctx = transforms.Context(settings=settings, s3=aws.client("s3"), log=log)
    return {"key": event.key, "transforms": transforms.dispatch(ctx, event.key)}
