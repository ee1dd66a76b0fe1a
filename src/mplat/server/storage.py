"""Small S3 helpers for the notebooks: list, read, write, with one error type for "the bucket is not usable".

boto3 honours `AWS_ENDPOINT_URL`, so the same code talks to AWS on Fargate and to moto on a laptop.
Timeouts and retries are short: a notebook should fall back to demo data in seconds, not hang for minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

CLIENT_CONFIG = Config(connect_timeout=3, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"})


class BucketUnavailable(Exception):
    """The bucket is not configured, does not exist, or cannot be reached; the message says which."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    last_modified: datetime


def s3_client() -> Any:
    return boto3.client("s3", config=CLIENT_CONFIG)


def _unavailable(bucket: str, action: str, error: Exception) -> BucketUnavailable:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "error")
        return BucketUnavailable(f"cannot {action} s3://{bucket}: {code}")
    # The class name says enough (EndpointConnectionError, NoCredentialsError…); the full text repeats URLs.
    return BucketUnavailable(f"cannot {action} s3://{bucket}: {type(error).__name__}")


def list_objects(client: Any, bucket: str | None, prefix: str = "") -> list[ObjectInfo]:
    """Every object under `prefix`, sorted by key."""
    if not bucket:
        raise BucketUnavailable("no bucket configured (set RAW_BUCKET / DERIVED_BUCKET)")
    found: list[ObjectInfo] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found.append(ObjectInfo(item["Key"], int(item["Size"]), item["LastModified"]))
    except (BotoCoreError, ClientError) as error:
        raise _unavailable(bucket, f"list {prefix or '/'} in", error) from error
    return sorted(found, key=lambda info: info.key)


def read_object(client: Any, bucket: str, key: str) -> bytes:
    try:
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (BotoCoreError, ClientError) as error:
        raise _unavailable(bucket, f"read {key} from", error) from error


def write_object(client: Any, bucket: str | None, key: str, body: bytes, content_type: str) -> str:
    """Write one object (a single PUT: readers never see half of it); returns its s3:// URL."""
    if not bucket:
        raise BucketUnavailable("no derived bucket configured (set DERIVED_BUCKET)")
    try:
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    except (BotoCoreError, ClientError) as error:
        raise _unavailable(bucket, f"write {key} to", error) from error
    return f"s3://{bucket}/{key}"
