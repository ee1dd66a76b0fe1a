"""On-prem device access keys: issued by apply, rotated and revoked by operators.

The key lives only in Secrets Manager (`mplat/<env>/onprem/<device>` = `{"access_key_id",
"secret_access_key"}`); nothing here prints it. A revoked device's secret holds `{"revoked_at": ...}` so
apply does not silently issue a new key: `rotate-key` is the deliberate way back.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from infra import naming
from infra.aws import missing
from infra.engine import Context
from infra.tags import standard_tags, to_list

KeyState = Literal["absent", "deleted", "revoked", "current", "stale"]


@dataclass(frozen=True)
class KeyStatus:
    state: KeyState
    active_key_ids: tuple[str, ...]


def _masked(key_id: str) -> str:
    return f"…{key_id[-4:]}"


def _keys(ctx: Context, device: str) -> list[dict[str, Any]]:
    iam = ctx.aws.client("iam")
    try:
        return iam.list_access_keys(UserName=naming.onprem_user(ctx.env, device))["AccessKeyMetadata"]
    except ClientError as exc:
        if missing(exc, "NoSuchEntity"):
            return []
        raise


def key_status(ctx: Context, device: str) -> KeyStatus:
    """Compare the stored key with the user's active keys (reads the secret, never returns it)."""
    sm = ctx.aws.client("secretsmanager")
    secret_id = naming.onprem_secret(ctx.env, device)
    active = tuple(k["AccessKeyId"] for k in _keys(ctx, device) if k["Status"] == "Active")
    try:
        described = sm.describe_secret(SecretId=secret_id)
    except ClientError as exc:
        if missing(exc, "ResourceNotFoundException"):
            return KeyStatus("absent", active)
        raise
    if described.get("DeletedDate"):
        return KeyStatus("deleted", active)
    try:
        stored = json.loads(sm.get_secret_value(SecretId=secret_id)["SecretString"])
    except (ClientError, ValueError, KeyError):
        return KeyStatus("stale", active)
    if "revoked_at" in stored:
        return KeyStatus("revoked", active)
    return KeyStatus("current" if stored.get("access_key_id") in active else "stale", active)


def _store(ctx: Context, device: str, value: dict[str, str]) -> None:
    sm = ctx.aws.client("secretsmanager")
    secret_id = naming.onprem_secret(ctx.env, device)
    text = json.dumps(value)
    try:
        described = sm.describe_secret(SecretId=secret_id)
    except ClientError as exc:
        if not missing(exc, "ResourceNotFoundException"):
            raise
        sm.create_secret(
            Name=secret_id,
            Description=f"Access key of on-prem device {device} (upload only to onprem/{device}/)",
            SecretString=text,
            Tags=to_list(standard_tags(ctx.config, "iam")),
        )
        return
    if described.get("DeletedDate"):
        sm.restore_secret(SecretId=secret_id)
    sm.put_secret_value(SecretId=secret_id, SecretString=text)


# What `issue` may call, for the plan: inactive keys removed, a key created, then stored (a new secret, or
# an existing one restored if deleted and given the new value).
ISSUE_API = (
    "iam.delete_access_key+create_access_key+secretsmanager.create_secret+restore_secret+put_secret_value"
)


def issue(ctx: Context, device: str) -> str:
    """Create a key and store it. IAM allows two keys per user, so inactive ones are removed first."""
    iam = ctx.aws.client("iam")
    user = naming.onprem_user(ctx.env, device)
    keys = _keys(ctx, device)
    for key in keys:
        if key["Status"] == "Inactive":
            iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    if sum(k["Status"] == "Active" for k in keys) >= 2:
        raise RuntimeError(
            f"{user} already has two active keys; revoke-key first (or delete one in IAM), then retry"
        )
    created = iam.create_access_key(UserName=user)["AccessKey"]
    _store(
        ctx,
        device,
        {"access_key_id": created["AccessKeyId"], "secret_access_key": created["SecretAccessKey"]},
    )
    return created["AccessKeyId"]


def rotate(ctx: Context, device: str) -> str:
    """New key → secret → old keys set Inactive (re-activate in IAM if a device was not updated yet;
    the next rotation deletes them)."""
    iam = ctx.aws.client("iam")
    user = naming.onprem_user(ctx.env, device)
    old = [k["AccessKeyId"] for k in _keys(ctx, device) if k["Status"] == "Active"]
    new_id = issue(ctx, device)
    for key_id in old:
        iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")
    deactivated = ", ".join(_masked(k) for k in old) or "none"
    return (
        f"Rotated {user}: new key {_masked(new_id)} stored in {naming.onprem_secret(ctx.env, device)}; "
        f"deactivated: {deactivated}."
    )


def revoke(ctx: Context, device: str) -> str:
    """Delete every key of the device; the secret records the revocation so apply will not re-issue."""
    iam = ctx.aws.client("iam")
    user = naming.onprem_user(ctx.env, device)
    deleted = [k["AccessKeyId"] for k in _keys(ctx, device)]
    for key_id in deleted:
        iam.delete_access_key(UserName=user, AccessKeyId=key_id)
    _store(ctx, device, {"revoked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    return (
        f"Revoked {user}: deleted {len(deleted)} key(s) ({', '.join(_masked(k) for k in deleted) or 'none'}). "
        f"Run rotate-key to issue a new one."
    )
