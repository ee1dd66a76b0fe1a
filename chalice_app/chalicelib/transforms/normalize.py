"""`normalize`: a raw payload → a tidy CSV (the source's typed columns, timestamps in UTC) under normalized/."""

from __future__ import annotations

import csv
import io
from typing import Any

from chalicelib import sources, storage
from chalicelib.sources.base import format_value
from chalicelib.transforms.base import Context, Transform


def run(ctx: Context, key: str) -> dict[str, Any]:
    raw = storage.RawObject.parse(key)
    assert raw is not None  # the pattern matched
    registry = sources.registry()
    if raw.source not in registry:
        return {"skipped": f"no source module for {raw.source!r}"}
    source = registry[raw.source]
    payload = ctx.s3.get_object(Bucket=ctx.settings.raw_bucket, Key=key)["Body"].read()
    records = source.records(payload)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([column.name for column in source.columns])
    for record in records:
        writer.writerow([format_value(record[column.name]) for column in source.columns])
    target = storage.normalized_key(raw)
    storage.publish_via_tmp(ctx.s3, ctx.settings.derived_bucket, target, out.getvalue().encode(), "text/csv")
    return {"normalized_key": target, "rows": len(records)}


TRANSFORM = Transform(
    name="normalize",
    pattern=storage.RAW_KEY,
    unit=lambda match: match.string,
    run=run,
)
