"""storage against moto: names, tags, lifecycle, BPA, versioning, encryption, policies, drift, destroy."""

from __future__ import annotations

import json

ACCOUNT = "123456789012"

RAW = f"mplat-dev-storage-raw-{ACCOUNT}"
DERIVED = f"mplat-dev-storage-derived-{ACCOUNT}"
EXPECTED_TAGS = {
    "Project": "mplat",
    "Environment": "dev",
    "ManagedBy": "mplat-infra",
    "Owner": "data-team",
    "CostCenter": "platform",
    "Component": "storage",
    "IaC": "boto3",
    "Repository": "mplat",
}


def tags(s3, bucket):
    return {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}


def test_apply_creates_raw_and_derived_buckets_then_plan_is_clean(infra, s3):
    first = infra("plan", "--env", "dev", "--only", "storage")
    assert first.code == 2
    assert f"+ create storage   s3-bucket {RAW}" in first.out

    assert infra("apply", "--env", "dev", "--only", "storage", "--yes").code == 0
    again = infra("plan", "--env", "dev", "--only", "storage")
    assert again.code == 0, again.out
    assert "No changes" in again.out

    for bucket in (RAW, DERIVED):
        assert tags(s3, bucket) == EXPECTED_TAGS
        bpa = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert bpa == {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
        sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_versioning(Bucket=RAW)["Status"] == "Enabled"


def test_raw_lifecycle_archives_after_180_days_and_cleans_up(infra, s3):
    assert infra("apply", "--env", "dev", "--only", "storage", "--yes").code == 0
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=RAW)["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["Transitions"] == [
        {"Days": 180, "StorageClass": "GLACIER_IR"},
        {"Days": 365, "StorageClass": "DEEP_ARCHIVE"},
    ]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}

    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=DERIVED)["Rules"]}
    assert rules["expire-tmp"]["Filter"] == {"Prefix": "tmp/"}
    assert rules["expire-tmp"]["Expiration"] == {"Days": 7}
    assert rules["infrequent-access"]["Transitions"] == [{"Days": 30, "StorageClass": "STANDARD_IA"}]


def test_raw_policy_is_tls_only_and_denies_deletion_except_break_glass(infra, s3):
    assert infra("apply", "--env", "dev", "--only", "storage", "--yes").code == 0
    statements = {s["Sid"]: s for s in json.loads(s3.get_bucket_policy(Bucket=RAW)["Policy"])["Statement"]}
    tls = statements["DenyInsecureTransport"]
    assert (tls["Effect"], tls["Principal"], tls["Action"]) == ("Deny", "*", "s3:*")
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(tls["Resource"]) == [f"arn:aws:s3:::{RAW}", f"arn:aws:s3:::{RAW}/*"]

    protect = statements["DenyDeletionExceptBreakGlass"]
    assert protect["Effect"] == "Deny"
    assert {"s3:DeleteBucket", "s3:DeleteObject", "s3:DeleteObjectVersion"} <= set(protect["Action"])
    assert protect["Condition"] == {
        "ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::{ACCOUNT}:role/mplat-break-glass"]}
    }

    # the protection cannot be undone by a new policy, a lifecycle rule or suspended versioning either
    config = statements["DenyReconfigurationExceptDeployAndBreakGlass"]
    assert (config["Effect"], config["Principal"], config["Resource"]) == ("Deny", "*", f"arn:aws:s3:::{RAW}")
    assert sorted(config["Action"]) == [
        "s3:PutBucketPolicy",
        "s3:PutBucketVersioning",
        "s3:PutLifecycleConfiguration",
    ]
    assert config["Condition"] == {
        "ArnNotLike": {
            "aws:PrincipalArn": [
                f"arn:aws:iam::{ACCOUNT}:role/mplat-break-glass",
                f"arn:aws:iam::{ACCOUNT}:role/mplat-deploy",
            ]
        }
    }

    derived = json.loads(s3.get_bucket_policy(Bucket=DERIVED)["Policy"])["Statement"]
    assert [s["Sid"] for s in derived] == ["DenyInsecureTransport"]


def test_local_env_leaves_conditional_statements_out(infra, s3):
    assert infra("apply", "--env", "local", "--only", "storage", "--yes").code == 0
    for bucket in (f"mplat-local-storage-raw-{ACCOUNT}", f"mplat-local-storage-derived-{ACCOUNT}"):
        assert "NoSuchBucketPolicy" in _policy_error(s3, bucket)
    assert infra("plan", "--env", "local", "--only", "storage").code == 0


def _policy_error(s3, bucket: str) -> str:
    try:
        s3.get_bucket_policy(Bucket=bucket)
    except s3.exceptions.ClientError as exc:
        return str(exc)
    return "policy present"


def test_lifecycle_drift_shows_in_plan_and_apply_repairs_it(infra, s3):
    assert infra("apply", "--env", "dev", "--only", "storage", "--yes").code == 0
    s3.put_bucket_lifecycle_configuration(
        Bucket=RAW,
        LifecycleConfiguration={
            "Rules": [
                {"ID": "cheap", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}
            ]
        },
    )
    s3.delete_public_access_block(Bucket=DERIVED)

    drift = infra("plan", "--env", "dev", "--only", "storage")
    assert drift.code == 2
    assert f"~ update storage   s3-bucket {RAW} (lifecycle)" in drift.out
    assert f"~ update storage   s3-bucket {DERIVED} (public-access-block)" in drift.out

    assert infra("apply", "--env", "dev", "--only", "storage", "--yes").code == 0
    assert infra("plan", "--env", "dev", "--only", "storage").code == 0
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=RAW)["Rules"]
    assert rule["ID"] == "archive-raw"


def test_destroy_refuses_raw_and_non_empty_buckets_without_force(infra, s3):
    # `local`: the dev bucket policies (TLS-only) deny every object request in moto, see NOTES §4.
    raw, derived = f"mplat-local-storage-raw-{ACCOUNT}", f"mplat-local-storage-derived-{ACCOUNT}"
    assert infra("apply", "--env", "local", "--only", "storage", "--yes").code == 0
    s3.put_object(Bucket=raw, Key="grid_prices/ingest_date=2026-01-01/a.json", Body=b"{}")
    s3.put_object(Bucket=derived, Key="counts/grid_prices/2026-01-01.json", Body=b"{}")

    refused = infra("destroy", "--env", "local", "--only", "storage", "--yes")
    assert refused.code == 1
    assert f"{raw}: holds raw data" in refused.err
    assert f"{derived}: is not empty" in refused.err
    assert "Nothing was deleted" in refused.err
    assert {raw, derived} <= {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert s3.get_object(Bucket=derived, Key="counts/grid_prices/2026-01-01.json")["Body"].read() == b"{}"

    # An empty raw bucket is still refused: it is the one place raw data lives.
    s3.delete_object(Bucket=derived, Key="counts/grid_prices/2026-01-01.json")
    versions = s3.list_object_versions(Bucket=derived)
    assert not versions.get("Versions")
    still = infra("destroy", "--env", "local", "--only", "storage", "--yes")
    assert still.code == 1 and f"{raw}: holds raw data" in still.err and derived not in still.err

    forced = infra("destroy", "--env", "local", "--only", "storage", "--yes", "--force-data-loss")
    assert forced.code == 0, forced.err
    assert not {b["Name"] for b in s3.list_buckets()["Buckets"]} & {raw, derived}


def test_destroy_leaves_buckets_without_our_tag_alone(infra, s3):
    s3.create_bucket(Bucket=DERIVED, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    result = infra("destroy", "--env", "dev", "--only", "storage", "--yes")
    assert result.code == 0
    assert "Nothing to destroy" in result.out
    assert DERIVED in {b["Name"] for b in s3.list_buckets()["Buckets"]}
