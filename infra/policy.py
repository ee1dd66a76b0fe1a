"""IAM / resource policy documents built from small statement helpers.

`document()` is the one place that applies the env's `policy_conditions` switch: in `local` (moto over
plain HTTP) statements with a Condition are left out, because moto treats every condition as matched.
"""

from __future__ import annotations

import json
from typing import Any

from infra.config import EnvConfig

Statement = dict[str, Any]


def document(config: EnvConfig, *statements: Statement) -> dict[str, Any] | None:
    """A policy document, or None when no statement is left (callers then remove the policy)."""
    kept = [s for s in statements if config.project.policy_conditions or "Condition" not in s]
    if not kept:
        return None
    return {"Version": "2012-10-17", "Statement": kept}


def allow(sid: str, actions: list[str], resources: list[str]) -> Statement:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": sorted(resources)}


def trust(service_principal: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service_principal}, "Action": "sts:AssumeRole"}
        ],
    }


def deny_insecure_transport(bucket: str) -> Statement:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def deny_overwrite(sid: str, object_arns: list[str]) -> Statement:
    """Refuse object writes without `If-None-Match: *` (S3 then refuses an existing key: write-once data).
    `s3:ObjectCreationOperation` exempts the multipart steps that cannot carry the header (create, part);
    the completion can and must. AWS's documented form of "enforce conditional writes"."""
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Action": "s3:PutObject",
        "Resource": sorted(object_arns),
        "Condition": {"Null": {"s3:if-none-match": "true"}, "Bool": {"s3:ObjectCreationOperation": "true"}},
    }


def loads(text: str | dict[str, Any]) -> dict[str, Any]:
    """IAM returns documents URL-decoded by boto3 already as dicts; S3 and others return JSON text."""
    return text if isinstance(text, dict) else json.loads(text)


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)
