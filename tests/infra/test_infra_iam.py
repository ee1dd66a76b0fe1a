"""iam + secrets + outputs against moto: device keys under IAM enforcement, rotation/revocation, roles,
placeholders that are never overwritten, the Chalice stage, drift and no secret in any output."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import ACCOUNT
from moto_control import set_iam_enforcement

RAW = f"mplat-local-storage-raw-{ACCOUNT}"
DERIVED = f"mplat-local-storage-derived-{ACCOUNT}"
DEVICE_SECRET = "mplat/local/onprem/sample"


def device_s3(secretsmanager):
    key = json.loads(secretsmanager.get_secret_value(SecretId=DEVICE_SECRET)["SecretString"])
    assert set(key) == {"access_key_id", "secret_access_key"}
    session = boto3.session.Session(
        aws_access_key_id=key["access_key_id"],
        aws_secret_access_key=key["secret_access_key"],
        region_name="eu-central-1",
    )
    return session.client("s3"), key


def denied(call) -> bool:
    try:
        call()
    except ClientError as exc:
        return exc.response["Error"]["Code"] in ("AccessDenied", "InvalidAccessKeyId", "InvalidClientTokenId")
    return False


@pytest.fixture
def local_stack(infra):
    result = infra("apply", "--env", "local", "--yes")
    assert result.code == 0, result.err
    return result


def test_device_key_can_only_upload_under_its_own_prefix(local_stack, secretsmanager, aws_env, s3):
    device, _ = device_s3(secretsmanager)
    set_iam_enforcement(aws_env, True)
    try:
        device.put_object(Bucket=RAW, Key="onprem/sample/weather/a.epw", Body=b"weather")
        assert denied(lambda: device.get_object(Bucket=RAW, Key="onprem/sample/weather/a.epw"))
        assert denied(lambda: device.list_objects_v2(Bucket=RAW, Prefix="onprem/sample/"))
        assert denied(lambda: device.delete_object(Bucket=RAW, Key="onprem/sample/weather/a.epw"))
        assert denied(lambda: device.put_object(Bucket=RAW, Key="onprem/other/a.epw", Body=b"x"))
        assert denied(lambda: device.put_object(Bucket=RAW, Key="grid_prices/x.json", Body=b"x"))
        assert denied(lambda: device.put_object(Bucket=DERIVED, Key="onprem/sample/a.epw", Body=b"x"))
        assert denied(lambda: device.put_object(Bucket=DERIVED, Key="tmp/a", Body=b"x"))
    finally:
        set_iam_enforcement(aws_env, False)
    body = s3.get_object(Bucket=RAW, Key="onprem/sample/weather/a.epw")["Body"].read()
    assert body == b"weather"


NEVER_OVERWRITE = {"Null": {"s3:if-none-match": "true"}, "Bool": {"s3:ObjectCreationOperation": "true"}}


def test_writers_of_raw_cannot_overwrite_and_devices_only_put(infra, iam):
    """The documents themselves (moto ignores Conditions, NOTES section 4); the behaviour S3 gives the header is
    tested where the writers send it (tests/ingest/test_onprem.py, ingestion's conditional put)."""
    assert infra("apply", "--env", "dev", "--only", "storage,iam", "--yes").code == 0
    raw = f"mplat-dev-storage-raw-{ACCOUNT}"
    device = iam.get_user_policy(UserName="mplat-dev-iam-onprem-sample", PolicyName="least-privilege")
    statements = {s["Sid"]: s for s in device["PolicyDocument"]["Statement"]}
    assert set(statements) == {"UploadOwnPrefixOnly", "NeverOverwrite"}
    upload = statements["UploadOwnPrefixOnly"]
    assert _as_list(upload["Action"]) == ["s3:PutObject"]  # no multipart listing or abort
    deny = statements["NeverOverwrite"]
    assert (deny["Effect"], deny["Action"], deny["Condition"]) == ("Deny", "s3:PutObject", NEVER_OVERWRITE)
    assert _as_list(deny["Resource"]) == [f"arn:aws:s3:::{raw}/onprem/sample/*"]

    ingest = iam.get_role_policy(RoleName="mplat-dev-iam-ingest-lambda-role", PolicyName="least-privilege")
    statements = {s["Sid"]: s for s in ingest["PolicyDocument"]["Statement"]}
    deny = statements["NeverOverwriteRaw"]
    assert (deny["Effect"], deny["Action"], deny["Condition"]) == ("Deny", "s3:PutObject", NEVER_OVERWRITE)
    assert sorted(_as_list(deny["Resource"])) == sorted(_as_list(statements["WriteRawSources"]["Resource"]))


def test_revoked_key_is_denied_everything_and_apply_does_not_reissue(
    local_stack, infra, secretsmanager, aws_env, iam
):
    device, key = device_s3(secretsmanager)
    revoked = infra("revoke-key", "--env", "local", "--device", "sample", "--yes")
    assert revoked.code == 0, revoked.err
    assert iam.list_access_keys(UserName="mplat-local-iam-onprem-sample")["AccessKeyMetadata"] == []
    assert "revoked_at" in json.loads(secretsmanager.get_secret_value(SecretId=DEVICE_SECRET)["SecretString"])

    set_iam_enforcement(aws_env, True)
    try:
        assert denied(lambda: device.put_object(Bucket=RAW, Key="onprem/sample/a.epw", Body=b"x"))
        assert denied(lambda: device.list_buckets())
    finally:
        set_iam_enforcement(aws_env, False)

    # The revocation sticks: apply has nothing to do, the device stays keyless until rotate-key.
    assert infra("plan", "--env", "local").code == 0
    rotated = infra("rotate-key", "--env", "local", "--device", "sample", "--yes")
    assert rotated.code == 0, rotated.err
    new_device, new_key = device_s3(secretsmanager)
    assert new_key["access_key_id"] != key["access_key_id"]
    set_iam_enforcement(aws_env, True)
    try:
        new_device.put_object(Bucket=RAW, Key="onprem/sample/b.epw", Body=b"x")
    finally:
        set_iam_enforcement(aws_env, False)
    for result in (revoked, rotated):
        assert key["secret_access_key"] not in result.out + result.err
        assert new_key["secret_access_key"] not in result.out + result.err


def test_rotation_stores_a_new_key_and_deactivates_the_old_one(local_stack, infra, secretsmanager, iam):
    _, old = device_s3(secretsmanager)
    assert infra("rotate-key", "--env", "local", "--device", "sample", "--yes").code == 0
    _, new = device_s3(secretsmanager)
    status = {
        k["AccessKeyId"]: k["Status"]
        for k in iam.list_access_keys(UserName="mplat-local-iam-onprem-sample")["AccessKeyMetadata"]
    }
    assert status == {old["access_key_id"]: "Inactive", new["access_key_id"]: "Active"}
    # A second rotation removes the deactivated key (IAM allows two keys per user).
    assert infra("rotate-key", "--env", "local", "--device", "sample", "--yes").code == 0
    _, newest = device_s3(secretsmanager)
    keys = iam.list_access_keys(UserName="mplat-local-iam-onprem-sample")["AccessKeyMetadata"]
    assert {k["AccessKeyId"]: k["Status"] for k in keys} == {
        new["access_key_id"]: "Inactive",
        newest["access_key_id"]: "Active",
    }
    assert infra("plan", "--env", "local").code == 0


def test_a_deleted_device_key_is_drift_that_apply_repairs(local_stack, infra, secretsmanager, iam):
    _, key = device_s3(secretsmanager)
    iam.delete_access_key(UserName="mplat-local-iam-onprem-sample", AccessKeyId=key["access_key_id"])
    drift = infra("plan", "--env", "local")
    assert drift.code == 2
    assert "~ update iam       access-key mplat-local-iam-onprem-sample" in drift.out
    assert infra("apply", "--env", "local", "--yes").code == 0
    _, fresh = device_s3(secretsmanager)
    active = iam.list_access_keys(UserName="mplat-local-iam-onprem-sample")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in active] == [fresh["access_key_id"]]


def test_roles_have_service_trust_one_inline_policy_and_tags(local_stack, iam):
    expected = {
        "mplat-local-iam-ingest-lambda-role": "lambda.amazonaws.com",
        "mplat-local-iam-transform-lambda-role": "lambda.amazonaws.com",
        "mplat-local-iam-fargate-execution-role": "ecs-tasks.amazonaws.com",
        "mplat-local-iam-fargate-task-role": "ecs-tasks.amazonaws.com",
    }
    for role, principal in expected.items():
        doc = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        assert doc["Statement"][0]["Principal"] == {"Service": principal}
        assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["least-privilege"]
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role)["Tags"]}
        assert (
            tags["Component"] == "iam"
            and tags["ManagedBy"] == "mplat-infra"
            and tags["Environment"] == "local"
        )

    ingest = iam.get_role_policy(RoleName="mplat-local-iam-ingest-lambda-role", PolicyName="least-privilege")
    statements = {s["Sid"]: s for s in ingest["PolicyDocument"]["Statement"]}
    assert _as_list(statements["ReadIngestSecrets"]["Resource"]) == [
        f"arn:aws:secretsmanager:eu-central-1:{ACCOUNT}:secret:mplat/local/ingest/*"
    ]
    assert sorted(_as_list(statements["WriteRawSources"]["Resource"])) == [
        f"arn:aws:s3:::{RAW}/grid_prices/*",
        f"arn:aws:s3:::{RAW}/meter_readings/*",
    ]
    assert _as_list(statements["RecordFailures"]["Resource"]) == [f"arn:aws:s3:::{DERIVED}/failures/*"]
    transform = iam.get_role_policy(
        RoleName="mplat-local-iam-transform-lambda-role", PolicyName="least-privilege"
    )
    actions = {a for s in transform["PolicyDocument"]["Statement"] for a in _as_list(s["Action"])}
    assert "s3:PutObject" in actions and "secretsmanager:GetSecretValue" not in actions


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_extra_permissions_on_a_role_are_drift_and_removed(local_stack, infra, iam):
    role = "mplat-local-iam-transform-lambda-role"
    iam.put_role_policy(
        RoleName=role,
        PolicyName="sneaky",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
    )
    drift = infra("plan", "--env", "local", "--only", "iam")
    assert drift.code == 2
    assert f"~ update iam       iam-role {role} (inline-policy)" in drift.out
    assert infra("apply", "--env", "local", "--only", "iam", "--yes").code == 0
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["least-privilege"]


def test_secret_placeholders_are_created_empty_and_never_overwritten(local_stack, infra, secretsmanager):
    names = {s["Name"] for s in secretsmanager.list_secrets()["SecretList"]}
    assert {
        "mplat/local/okta/client",
        "mplat/local/ingest/grid_prices",
        "mplat/local/ingest/meter_readings",
        DEVICE_SECRET,
    } <= names
    described = secretsmanager.describe_secret(SecretId="mplat/local/ingest/grid_prices")
    assert '{"url", "api_key"}' in described["Description"]
    assert not described.get("VersionIdsToStages")  # a placeholder has no value

    value = json.dumps({"url": "http://127.0.0.1:9/api", "api_key": "k-123-very-secret"})
    secretsmanager.put_secret_value(SecretId="mplat/local/ingest/grid_prices", SecretString=value)
    plan = infra("plan", "--env", "local")
    assert plan.code == 0, plan.out
    applied = infra("apply", "--env", "local", "--yes")
    assert applied.code == 0
    stored = secretsmanager.get_secret_value(SecretId="mplat/local/ingest/grid_prices")["SecretString"]
    assert stored == value
    assert "k-123-very-secret" not in plan.out + applied.out + applied.err


def test_chalice_stage_is_merged_into_an_existing_config(aws_env, infra, chalice_config):
    chalice_config.parent.mkdir(parents=True)
    chalice_config.write_text(
        json.dumps(
            {
                "version": "2.0",
                "app_name": "mplat",
                "automatic_layer": False,
                "stages": {"dev": {"api_gateway_stage": "api", "lambda_memory_size": 256}},
            }
        )
    )
    assert infra("apply", "--env", "local", "--yes").code == 0
    config = json.loads(chalice_config.read_text())
    assert config["automatic_layer"] is False
    assert config["stages"]["dev"] == {"api_gateway_stage": "api", "lambda_memory_size": 256}
    local = config["stages"]["local"]
    ingest_role = f"arn:aws:iam::{ACCOUNT}:role/mplat-local-iam-ingest-lambda-role"
    transform_role = f"arn:aws:iam::{ACCOUNT}:role/mplat-local-iam-transform-lambda-role"
    assert local["manage_iam_role"] is False and local["autogen_policy"] is False
    assert local["iam_role_arn"] == transform_role
    assert local["environment_variables"] == {
        "MPLAT_ENV": "local",
        "RAW_BUCKET": RAW,
        "DERIVED_BUCKET": DERIVED,
        "SECRET_PREFIX": "mplat/local/ingest/",
    }
    assert local["lambda_functions"] == {
        "ingest-grid-prices-function": {"iam_role_arn": ingest_role},
        "ingest-meter-readings-function": {"iam_role_arn": ingest_role},
        "transform-raw-function": {"iam_role_arn": transform_role},
    }
    # Keys the ingestion helper adds to the stage survive re-applies, and are no drift.
    local["lambda_timeout"] = 120
    chalice_config.write_text(json.dumps(config))
    assert infra("plan", "--env", "local").code == 0
    local["environment_variables"]["RAW_BUCKET"] = "wrong"
    chalice_config.write_text(json.dumps(config))
    drift = infra("plan", "--env", "local", "--only", "outputs")
    assert drift.code == 2 and "(environment_variables)" in drift.out
    assert infra("apply", "--env", "local", "--only", "outputs", "--yes").code == 0
    again = json.loads(chalice_config.read_text())["stages"]["local"]
    assert again["environment_variables"]["RAW_BUCKET"] == RAW and again["lambda_timeout"] == 120


def test_removed_device_user_is_deleted_with_its_key(
    local_stack, infra, iam, secretsmanager, tmp_path, repo_root
):
    text = (repo_root / "infra" / "envs" / "local.toml").read_text()
    (tmp_path / "local.toml").write_text(text.replace('devices = ["sample"]', 'devices = ["roof-2"]'))
    result = infra("apply", "--env", "local", "--envs-dir", str(tmp_path), "--yes")
    assert result.code == 0, result.err
    users = {u["UserName"] for u in iam.list_users(PathPrefix="/mplat/local/")["Users"]}
    assert users == {"mplat-local-iam-onprem-roof-2"}
    with pytest.raises(ClientError):
        secretsmanager.get_secret_value(SecretId=DEVICE_SECRET)
    assert json.loads(secretsmanager.get_secret_value(SecretId="mplat/local/onprem/roof-2")["SecretString"])
