"""`count`: keep counts/<source>/<date>.json = {source, date, objects, records, bytes, updated_at} in derived."""

from __future__ import annotations

from typing import Any

from chalicelib import storage
from chalicelib.transforms.base import Context, Transform


def run(ctx: Context, unit: tuple[str, str]) -> dict[str, Any]:
    source, date = unit
    counts = storage.recompute_counts(
        ctx.s3, ctx.settings.raw_bucket, ctx.settings.derived_bucket, source, date
    )
    return {
        "counts_key": storage.counts_key(source, date),
        "objects": counts["objects"],
        "records": counts["records"],
    }


TRANSFORM = Transform(
    name="count",
    pattern=storage.RAW_KEY,
    unit=lambda match: (match["source"], match["date"]),
    run=run,
)
