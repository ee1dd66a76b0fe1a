"""Issue acceptance against moto server: a whole env applied and converged, naming and tags everywhere,
policy lint, a run killed half-way then re-run, failures that say how to continue, destroy scope and order,
and no secret value in any output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import boto3
from conftest import ACCOUNT, CORE_SERVICES, lint_policy

REPO = Path(__file__).resolve().parents[2]
CORE = "storage,iam,secrets,outputs"
TAG_KEYS = {"Project", "Environment", "ManagedBy", "Owner", "CostCenter", "Component", "IaC", "Repository"}


def _tags(items) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items}


def test_dev_apply_converges_and_every_resource_is_named_and_tagged(infra, s3, iam, secretsmanager):
    # `site` needs CloudFront APIs moto lacks (response-headers policies, publishing functions).
    first = infra("apply", "--env", "dev", "--only", CORE, "--yes")
    assert first.code == 0, first.err
    second = infra("plan", "--env", "dev", "--only", CORE)
    assert second.code == 0, second.out
    assert infra("apply", "--env", "dev", "--only", CORE, "--yes").out.startswith("No changes")

    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert sorted(buckets) == [f"mplat-dev-storage-derived-{ACCOUNT}", f"mplat-dev-storage-raw-{ACCOUNT}"]
    for bucket in buckets:
        tags = _tags(s3.get_bucket_tagging(Bucket=bucket)["TagSet"])
        assert set(tags) == TAG_KEYS and tags["Component"] == "storage" and tags["Environment"] == "dev"
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert sorted(roles) == [
        "mplat-dev-iam-fargate-execution-role",
        "mplat-dev-iam-fargate-task-role",
        "mplat-dev-iam-ingest-lambda-role",
        "mplat-dev-iam-transform-lambda-role",
    ]
    users = [u["UserName"] for u in iam.list_users()["Users"]]
    assert users == ["mplat-dev-iam-onprem-sample"]
    for role in roles:
        assert set(_tags(iam.list_role_tags(RoleName=role)["Tags"])) == TAG_KEYS
    assert set(_tags(iam.list_user_tags(UserName=users[0])["Tags"])) == TAG_KEYS
    secrets = {s["Name"]: _tags(s.get("Tags", [])) for s in secretsmanager.list_secrets()["SecretList"]}
    assert sorted(secrets) == [
        "mplat/dev/ingest/grid_prices",
        "mplat/dev/ingest/meter_readings",
        "mplat/dev/okta/client",
        "mplat/dev/onprem/sample",
    ]
    assert all(set(tags) == TAG_KEYS for tags in secrets.values())


def test_every_policy_passes_parliament(infra, s3, iam, dev_site_policy):
    assert infra("apply", "--env", "dev", "--only", CORE, "--yes").code == 0
    documents: dict[str, dict] = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            documents[f"{name}/{policy}"] = iam.get_role_policy(RoleName=name, PolicyName=policy)[
                "PolicyDocument"
            ]
    for user in iam.list_users()["Users"]:
        name = user["UserName"]
        for policy in iam.list_user_policies(UserName=name)["PolicyNames"]:
            documents[f"{name}/{policy}"] = iam.get_user_policy(UserName=name, PolicyName=policy)[
                "PolicyDocument"
            ]
    for bucket in s3.list_buckets()["Buckets"]:
        documents[f"bucket {bucket['Name']}"] = json.loads(
            s3.get_bucket_policy(Bucket=bucket["Name"])["Policy"]
        )
    documents["bucket site (CloudFront OAC)"] = dev_site_policy
    assert len(documents) == 4 + 1 + 2 + 1
    findings = {name: lint_policy(doc) for name, doc in documents.items()}
    assert findings == {name: [] for name in documents}

    for role in iam.list_roles()["Roles"]:  # trust policies have no Resource by design
        found = lint_policy(role["AssumeRolePolicyDocument"])
        assert [f for f in found if "neither Resource nor NotResource" not in f] == []


def test_apply_killed_half_way_then_rerun_converges(aws_env, tmp_path):
    chalice = tmp_path / "config.json"
    command = [
        sys.executable,
        "-m",
        "infra",
        "apply",
        "--env",
        "local",
        "--yes",
        "--chalice-config",
        str(chalice),
        "--only",
        CORE_SERVICES,
    ]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if "iam-role" in line:  # storage is done, IAM has just started
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not chalice.exists()  # outputs come last: the run really stopped half-way

    def run(verb: str, *extra: str) -> subprocess.CompletedProcess[str]:
        argv = [
            sys.executable,
            "-m",
            "infra",
            verb,
            "--env",
            "local",
            "--chalice-config",
            str(chalice),
            "--only",
            CORE_SERVICES,
            *extra,
        ]
        return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)

    pending = run("plan")
    assert pending.returncode == 2, pending.stdout + pending.stderr
    assert "storage   s3-bucket" not in pending.stdout  # what was done is not redone
    assert "outputs   chalice-stage local" in pending.stdout
    assert run("apply", "--yes").returncode == 0
    clean = run("plan")
    assert clean.returncode == 0, clean.stdout
    assert json.loads(chalice.read_text())["stages"]["local"]["environment_variables"]["MPLAT_ENV"] == "local"


def test_a_failing_step_says_where_it_stopped_and_a_rerun_finishes(aws_env, tmp_path, capsys):
    from infra.cli import main

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the .chalice folder should be")
    capsys.readouterr()
    only = ["--only", CORE_SERVICES]
    code = main(["apply", "--env", "local", "--yes", "--chalice-config", str(blocker / "config.json"), *only])
    err = capsys.readouterr().err
    assert code == 1
    assert "apply stopped at: + create outputs   chalice-stage local" in err
    assert "run apply again" in err

    good = tmp_path / "config.json"
    assert main(["plan", "--env", "local", "--chalice-config", str(good), *only]) == 2
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("+ create outputs") and "Plan: 1 to create" in out
    assert main(["apply", "--env", "local", "--yes", "--chalice-config", str(good), *only]) == 0
    assert main(["plan", "--env", "local", "--chalice-config", str(good), *only]) == 0


def test_no_secret_value_appears_in_any_output(infra, secretsmanager):
    outputs = [infra("apply", "--env", "local", "--yes")]
    secretsmanager.put_secret_value(
        SecretId="mplat/local/okta/client",
        SecretString=json.dumps({"client_id": "okta-id-123", "client_secret": "okta-secret-456"}),
    )
    values = ["okta-secret-456"]
    for command in (
        ("plan", "--env", "local"),
        ("rotate-key", "--env", "local", "--device", "sample", "--yes"),
        ("apply", "--env", "local", "--yes"),
        ("revoke-key", "--env", "local", "--device", "sample", "--yes"),
        ("rotate-key", "--env", "local", "--device", "sample", "--yes"),
        ("destroy", "--env", "local", "--only", "secrets,iam", "--yes"),
    ):
        if command[0] == "revoke-key":  # remember the key about to be revoked
            key = json.loads(
                secretsmanager.get_secret_value(SecretId="mplat/local/onprem/sample")["SecretString"]
            )
            values.append(key["secret_access_key"])
        outputs.append(infra(*command))
        assert outputs[-1].code == 0, outputs[-1]
    everything = "".join(r.out + r.err for r in outputs)
    for value in values:
        assert value not in everything


def test_destroy_removes_only_our_resources_in_reverse_dependency_order(infra, s3, iam, secretsmanager):
    assert infra("apply", "--env", "local", "--yes").code == 0
    iam.create_role(
        RoleName="someone-elses-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    secretsmanager.create_secret(Name="mplat/local/ingest/handmade", SecretString="{}")
    s3.create_bucket(
        Bucket="someone-elses-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )

    result = infra("destroy", "--env", "local", "--yes", "--force-data-loss")
    assert result.code == 0, result.err
    services = [line.split()[2] for line in result.out.splitlines() if line.startswith("- delete")]
    order = ["outputs", "site", "secrets", "ingestion", "iam", "storage"]
    assert services == sorted(services, key=order.index)  # later services first
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == {"someone-elses-bucket"}
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["someone-elses-role"]
    assert iam.list_users()["Users"] == []
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []
    assert (
        boto3.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/mplat-local-")["logGroups"]
        == []
    )
    live = {s["Name"] for s in secretsmanager.list_secrets()["SecretList"] if not s.get("DeletedDate")}
    assert live == {"mplat/local/ingest/handmade"}
    # Placeholders are recoverable; a re-apply restores them (with any value someone had set).
    again = infra("apply", "--env", "local", "--yes")
    assert again.code == 0, again.err
    assert "~ update secrets   secret mplat/local/okta/client (restore)" in again.out
    assert infra("plan", "--env", "local").code == 0


def test_plan_exit_codes_from_the_real_entry_point(aws_env, tmp_path):
    argv = [sys.executable, "-m", "infra", "plan", "--env", "local", "--only", "storage"]
    pending = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert pending.returncode == 2 and "Plan: 2 to create" in pending.stdout
    bad = subprocess.run([*argv[:4], "--env", "nope"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "nope.toml not found" in bad.stderr
    unknown = subprocess.run(
        [*argv[:-1], "storage,cache"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert unknown.returncode == 1 and "unknown service(s) cache" in unknown.stderr
    no_yes = subprocess.run(
        [sys.executable, "-m", "infra", "apply", "--env", "local", "--only", "storage"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert no_yes.returncode == 2 and "pass --yes" in no_yes.stderr
    assert boto3.client("s3").list_buckets()["Buckets"] == []
