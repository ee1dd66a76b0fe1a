"""The bucket layout in one place: key formats, raw writes, counts and failure records.

Raw:      <source>/ingest_date=YYYY-MM-DD/<sha256-of-payload>.<ext>   metadata: source, fetched-at, record-count
Derived:  counts/<source>/<YYYY-MM-DD>.json, failures/<source>/<timestamp>.json, normalized/<source>/..., tmp/...
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

RAW_KEY = re.compile(
    r"^(?P<source>[a-z][a-z0-9_]*)/ingest_date=(?P<date>\d{4}-\d{2}-\d{2})/(?P<digest>[0-9a-f]{64})\.(?P<ext>[a-z0-9]+)$"
)
HEAD_WORKERS = 8  # counts read each object's metadata; a few threads hide the per-request latency


@dataclass(frozen=True)
class RawObject:
    key: str
    source: str
    date: str
    digest: str
    extension: str

    @classmethod
    def parse(cls, key: str) -> RawObject | None:
        match = RAW_KEY.match(key)
        if not match:
            return None
        return cls(key, match["source"], match["date"], match["digest"], match["ext"])


def raw_key(source: str, day: dt.date, body: bytes, extension: str) -> str:
    return f"{source}/ingest_date={day.isoformat()}/{hashlib.sha256(body).hexdigest()}.{extension}"


def raw_prefix(source: str, date: str) -> str:
    return f"{source}/ingest_date={date}/"


def counts_key(source: str, date: str) -> str:
    return f"counts/{source}/{date}.json"


def failure_key(source: str, when: dt.datetime) -> str:
    return f"failures/{source}/{when.strftime('%Y-%m-%dT%H-%M-%S.%fZ')}.json"


def normalized_key(raw: RawObject) -> str:
    return f"normalized/{raw.source}/ingest_date={raw.date}/{raw.digest}.csv"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def put_if_absent(
    s3: Any, bucket: str, key: str, body: bytes, *, content_type: str, metadata: dict[str, str]
) -> bool:
    """Write only if the key does not exist (S3 conditional put); True if written, False if already there."""
    try:
        s3.put_object(
            Bucket=bucket, Key=key, Body=body, ContentType=content_type, Metadata=metadata, IfNoneMatch="*"
        )
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code in ("PreconditionFailed", "412"):
            return False
        if code in ("ConditionalRequestConflict", "409"):  # a concurrent write of the same key: it exists now
            return False
        raise
    return True


def put_json(s3: Any, bucket: str, key: str, document: dict[str, Any]) -> None:
    body = json.dumps(document, indent=1, sort_keys=True).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def publish_via_tmp(s3: Any, bucket: str, key: str, body: bytes, content_type: str) -> None:
    """Stage under tmp/ then copy into place: readers of `key` never see a partial result, and a crash leaves
    only a tmp/ object (expired by the derived bucket's lifecycle)."""
    staging = f"tmp/{uuid.uuid4().hex}/{key.rsplit('/', 1)[-1]}"
    s3.put_object(Bucket=bucket, Key=staging, Body=body, ContentType=content_type)
    s3.copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": staging},
        ContentType=content_type,
        MetadataDirective="REPLACE",
    )
    s3.delete_object(Bucket=bucket, Key=staging)


def list_keys(s3: Any, bucket: str, prefix: str) -> Iterator[tuple[str, int]]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"], item["Size"]


def _record_count(s3: Any, bucket: str, key: str) -> int:
    metadata = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {})
    try:
        return int(metadata.get("record-count", "0"))
    except ValueError:
        return 0


def recompute_counts(s3: Any, raw_bucket: str, derived_bucket: str, source: str, date: str) -> dict[str, Any]:
    """Count one source's objects of one day from scratch: the result depends only on what raw holds, so
    repeated or out-of-order events (and backfills) always converge to the truth."""
    objects = [
        (key, size) for key, size in list_keys(s3, raw_bucket, raw_prefix(source, date)) if RAW_KEY.match(key)
    ]
    with ThreadPoolExecutor(max_workers=HEAD_WORKERS) as pool:
        records = sum(pool.map(lambda item: _record_count(s3, raw_bucket, item[0]), objects))
    counts = {
        "source": source,
        "date": date,
        "objects": len(objects),
        "records": records,
        "bytes": sum(size for _, size in objects),
        "updated_at": now_iso(),
    }
    put_json(s3, derived_bucket, counts_key(source, date), counts)
    return counts
