"""storage: the raw bucket (everything ingested, kept for years, protected from deletion) and the derived
bucket (recomputable outputs). Bucket notifications are deliberately not managed: Chalice owns them.

Protection of raw data is a bucket policy: bucket/object deletion is denied to every principal except the
break-glass role, and changing the protection itself (policy, lifecycle, versioning) to every principal except
the deploy role and the break-glass role (see docs/deploying.md for why a policy and not Object Lock). Writers
cannot overwrite: their identity policies require `If-None-Match: *` (infra/services/iam.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from infra import naming
from infra.aws import missing
from infra.engine import Action, Attribute, Call, Context, Resource
from infra.policy import deny_insecure_transport, document, dumps, loads
from infra.tags import from_list, is_managed, standard_tags, to_list

NAME = "storage"

DELETE_ACTIONS = ["s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:DeleteObject", "s3:DeleteObjectVersion"]
# Each of these could undo the protection: a new policy without the deny, a lifecycle rule expiring current
# versions, or suspended versioning (then an overwrite loses the old bytes).
RECONFIGURE_ACTIONS = ["s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration"]


# ---------------------------------------------------------------------------------------------------------
# Desired state


def raw_lifecycle(ctx: Context) -> list[dict[str, Any]]:
    s = ctx.config.storage
    return [
        {
            "ID": "archive-raw",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Transitions": [
                {"Days": s.raw_archive_after_days, "StorageClass": s.raw_archive_storage_class},
                {"Days": s.raw_deep_archive_after_days, "StorageClass": "DEEP_ARCHIVE"},
            ],
            "NoncurrentVersionExpiration": {"NoncurrentDays": s.raw_noncurrent_expire_days},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": s.abort_multipart_after_days},
        }
    ]


def derived_lifecycle(ctx: Context) -> list[dict[str, Any]]:
    s = ctx.config.storage
    return [
        {
            "ID": "expire-tmp",
            "Status": "Enabled",
            "Filter": {"Prefix": "tmp/"},
            "Expiration": {"Days": s.derived_tmp_expire_days},
        },
        {
            "ID": "infrequent-access",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Transitions": [{"Days": s.derived_ia_after_days, "StorageClass": "STANDARD_IA"}],
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": s.abort_multipart_after_days},
        },
    ]


def raw_policy(ctx: Context) -> dict[str, Any] | None:
    bucket = naming.raw_bucket(ctx.env, ctx.account_id)
    break_glass = f"arn:aws:iam::{ctx.account_id}:role/{ctx.config.storage.break_glass_role}"
    deploy = f"arn:aws:iam::{ctx.account_id}:role/{ctx.config.storage.deploy_role}"
    return document(
        ctx.config,
        deny_insecure_transport(bucket),
        {
            "Sid": "DenyDeletionExceptBreakGlass",
            "Effect": "Deny",
            "Principal": "*",
            "Action": DELETE_ACTIONS,
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": [break_glass]}},
        },
        {
            "Sid": "DenyReconfigurationExceptDeployAndBreakGlass",
            "Effect": "Deny",
            "Principal": "*",
            "Action": RECONFIGURE_ACTIONS,
            "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": sorted([deploy, break_glass])}},
        },
    )


def derived_policy(ctx: Context) -> dict[str, Any] | None:
    return document(ctx.config, deny_insecure_transport(naming.derived_bucket(ctx.env, ctx.account_id)))


# ---------------------------------------------------------------------------------------------------------
# Generic private bucket (also used by the site service)

PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
_LIFECYCLE_KEYS = (
    "ID",
    "Status",
    "Filter",
    "Transitions",
    "Expiration",
    "NoncurrentVersionExpiration",
    "AbortIncompleteMultipartUpload",
)


def _absent_on(s3_call: Callable[[], Any], *codes: str) -> Any:
    try:
        return s3_call()
    except ClientError as exc:
        if missing(exc, *codes):
            return None
        raise


def bucket_exists(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
        return True
    except ClientError as exc:
        if missing(exc, "NoSuchBucket", "NotFound"):
            return False
        raise RuntimeError(
            f"bucket {bucket} exists but this account cannot read it ({exc}); "
            "S3 names are global: is it owned by another account?"
        ) from exc


def read_bucket_policy(s3: Any, bucket: str) -> dict[str, Any] | None:
    found = _absent_on(lambda: s3.get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy")
    return loads(found["Policy"]) if found else None


def bucket_policy_api(doc: dict[str, Any] | None) -> str:
    """The call `write_bucket_policy` makes for `doc`."""
    return "s3.delete_bucket_policy" if doc is None else "s3.put_bucket_policy"


def write_bucket_policy(s3: Any, bucket: str, doc: dict[str, Any] | None) -> None:
    if doc is None:
        _absent_on(lambda: s3.delete_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy")
    else:
        s3.put_bucket_policy(Bucket=bucket, Policy=dumps(doc))


def bucket_tags(s3: Any, bucket: str) -> dict[str, str]:
    found = _absent_on(lambda: s3.get_bucket_tagging(Bucket=bucket), "NoSuchTagSet")
    return from_list(found["TagSet"]) if found else {}


def private_bucket(
    ctx: Context,
    service: str,
    bucket: str,
    *,
    component: str,
    versioned: bool,
    lifecycle: list[dict[str, Any]],
    policy: Callable[[], dict[str, Any] | None] | None,
) -> Resource:
    """A bucket with BPA, SSE-S3, owner-enforced ownership, lifecycle, policy and the standard tags.
    `policy=None` leaves the bucket policy to the caller (the site's depends on its distribution)."""
    s3 = ctx.aws.client("s3")

    def create() -> None:
        location = {} if ctx.aws.region == "us-east-1" else {"LocationConstraint": ctx.aws.region}
        kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
        if location:
            kwargs["CreateBucketConfiguration"] = location
        try:
            s3.create_bucket(**kwargs)
        except ClientError as exc:  # a previous, interrupted apply may have created it already
            if "BucketAlreadyOwnedByYou" not in str(exc):
                raise

    def read_lifecycle() -> list[dict[str, Any]] | None:
        found = _absent_on(
            lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket), "NoSuchLifecycleConfiguration"
        )
        if not found:
            return None
        return [{k: r[k] for k in _LIFECYCLE_KEYS if r.get(k) not in (None, [], {})} for r in found["Rules"]]

    def write_lifecycle(rules: list[dict[str, Any]] | None) -> None:
        if rules is None:
            s3.delete_bucket_lifecycle(Bucket=bucket)
        else:
            s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})

    def read_policy() -> dict[str, Any] | None:
        return read_bucket_policy(s3, bucket)

    def write_policy(doc: dict[str, Any] | None) -> None:
        write_bucket_policy(s3, bucket, doc)

    def read_encryption() -> str | None:
        found = _absent_on(
            lambda: s3.get_bucket_encryption(Bucket=bucket), "ServerSideEncryptionConfigurationNotFoundError"
        )
        if not found:
            return None
        rules = found["ServerSideEncryptionConfiguration"]["Rules"]
        return rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] if rules else None

    def read_public_access_block() -> dict[str, bool] | None:
        found = _absent_on(
            lambda: s3.get_public_access_block(Bucket=bucket), "NoSuchPublicAccessBlockConfiguration"
        )
        return found["PublicAccessBlockConfiguration"] if found else None

    def read_ownership() -> str | None:
        found = _absent_on(
            lambda: s3.get_bucket_ownership_controls(Bucket=bucket), "OwnershipControlsNotFoundError"
        )
        return found["OwnershipControls"]["Rules"][0]["ObjectOwnership"] if found else None

    # In the order apply writes them: versioning before the lifecycle that expires old versions, the
    # policy before the tags. An unversioned bucket is left as S3 creates it (versioning can only be
    # suspended later); `policy=None` leaves the policy to the caller.
    versioning = Attribute(
        "versioning",
        "Enabled",
        lambda: s3.get_bucket_versioning(Bucket=bucket).get("Status", "Disabled"),
        lambda v: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": v}),
        api="s3.put_bucket_versioning",
    )
    attributes = [
        Attribute(
            "public-access-block",
            PUBLIC_ACCESS_BLOCK,
            read_public_access_block,
            lambda v: s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=v),
            api="s3.put_public_access_block",
        ),
        Attribute(
            "ownership",
            "BucketOwnerEnforced",
            read_ownership,
            lambda v: s3.put_bucket_ownership_controls(
                Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": v}]}
            ),
            api="s3.put_bucket_ownership_controls",
        ),
        Attribute(
            "encryption",
            "AES256",
            read_encryption,
            lambda v: s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": v}}]
                },
            ),
            api="s3.put_bucket_encryption",
        ),
        *([versioning] if versioned else []),
        Attribute(
            "lifecycle",
            lifecycle,
            read_lifecycle,
            write_lifecycle,
            api="s3.put_bucket_lifecycle_configuration",
        ),
        *(
            [Attribute("policy", policy(), read_policy, write_policy, api="s3.put_bucket_policy")]
            if policy is not None
            else []
        ),
        Attribute(
            "tags",
            standard_tags(ctx.config, component),
            lambda: bucket_tags(s3, bucket),
            lambda v: s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": to_list(v)}),
            api="s3.put_bucket_tagging",
        ),
    ]
    return Resource(
        service,
        f"s3-bucket {bucket}",
        lambda: bucket_exists(s3, bucket),
        create,
        attributes,
        "s3.create_bucket",
    )


def plan_bucket_removal(
    ctx: Context, service: str, bucket: str, *, force_data_loss: bool, always_protected: bool
) -> list[Action]:
    """Delete a bucket we own; refuse protected or non-empty ones unless --force-data-loss."""
    s3 = ctx.aws.client("s3")
    resource = f"s3-bucket {bucket}"
    if not bucket_exists(s3, bucket) or not is_managed(bucket_tags(s3, bucket), ctx.env):
        return []
    page = s3.list_object_versions(Bucket=bucket, MaxKeys=1)
    empty = not page.get("Versions") and not page.get("DeleteMarkers")
    if not force_data_loss and (always_protected or not empty):
        why = "holds raw data" if always_protected else "is not empty"
        return [Action(service, "delete", resource, refused=f"{why}; pass --force-data-loss to delete it")]

    def empty_and_delete() -> None:
        _absent_on(lambda: s3.delete_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy")
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            doomed = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            for start in range(0, len(doomed), 1000):
                s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": doomed[start : start + 1000], "Quiet": True}
                )
        s3.delete_bucket(Bucket=bucket)

    step = Call("s3.delete_bucket_policy+delete_objects+delete_bucket", empty_and_delete)
    return [Action(service, "delete", resource, ("objects",) if not empty else (), (step,))]


# ---------------------------------------------------------------------------------------------------------
# Service interface


def plan(ctx: Context) -> list[Action]:
    raw = private_bucket(
        ctx,
        NAME,
        naming.raw_bucket(ctx.env, ctx.account_id),
        component=NAME,
        versioned=True,
        lifecycle=raw_lifecycle(ctx),
        policy=lambda: raw_policy(ctx),
    )
    derived = private_bucket(
        ctx,
        NAME,
        naming.derived_bucket(ctx.env, ctx.account_id),
        component=NAME,
        versioned=False,
        lifecycle=derived_lifecycle(ctx),
        policy=lambda: derived_policy(ctx),
    )
    return raw.plan() + derived.plan()


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    return plan_bucket_removal(
        ctx,
        NAME,
        naming.derived_bucket(ctx.env, ctx.account_id),
        force_data_loss=force_data_loss,
        always_protected=False,
    ) + plan_bucket_removal(
        ctx,
        NAME,
        naming.raw_bucket(ctx.env, ctx.account_id),
        force_data_loss=force_data_loss,
        always_protected=True,
    )
