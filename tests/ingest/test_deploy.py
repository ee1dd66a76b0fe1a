"""Acceptance: `chalice deploy --stage local` against the local stack, and `chalice package` (terraform) offline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3

from .conftest import ACCOUNT, RAW, copy_app, role_arn, stage_config, write_stage

CHALICE = str(Path(sys.executable).with_name("chalice"))
ZIP_LIMIT = 5 * 1024 * 1024
PROJECT_TAGS = {
    "Project": "mplat",
    "Environment": "local",
    "ManagedBy": "mplat-infra",
    "Component": "ingestion",
}


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, cwd=cwd, env=env or dict(os.environ), capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0 or not check, result.stdout + result.stderr
    return result


def test_chalice_deploy_against_local_stack(aws_env, repo_root, tmp_path):
    project = copy_app(repo_root, tmp_path / "chalice_app")
    config = project / ".chalice" / "config.json"

    def infra_command(*args: str) -> list[str]:
        return [sys.executable, "-m", "infra", *args, "--env", "local", "--chalice-config", str(config)]

    run(infra_command("apply", "--yes"), cwd=repo_root)
    run([CHALICE, "deploy", "--stage", "local"], cwd=project)

    functions = {f["FunctionName"]: f for f in boto3.client("lambda").list_functions()["Functions"]}
    assert sorted(functions) == [
        "mplat-local-ingest-grid-prices-function",
        "mplat-local-ingest-meter-readings-function",
        "mplat-local-transform-raw-function",
    ]
    assert functions["mplat-local-ingest-grid-prices-function"]["Role"].endswith(
        "/mplat-local-iam-ingest-lambda-role"
    )
    assert functions["mplat-local-transform-raw-function"]["Role"].endswith(
        "/mplat-local-iam-transform-lambda-role"
    )
    # Lambda resolves "<module>.<attribute>": the generated handlers are attributes of their blueprint module
    handlers = {name: f["Handler"] for name, f in functions.items()}
    assert handlers == {
        "mplat-local-ingest-grid-prices-function": "chalicelib.blueprints.ingest.ingest_grid_prices",
        "mplat-local-ingest-meter-readings-function": "chalicelib.blueprints.ingest.ingest_meter_readings",
        "mplat-local-transform-raw-function": "chalicelib.blueprints.transform.transform_raw",
    }
    assert (
        functions["mplat-local-ingest-grid-prices-function"]["Environment"]["Variables"]["RAW_BUCKET"] == RAW
    )

    events = boto3.client("events")
    schedules = {}
    for rule in events.list_rules()["Rules"]:
        [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        schedules[target["Arn"].rsplit(":", 1)[1]] = rule["ScheduleExpression"]
    assert schedules == {
        "mplat-local-ingest-grid-prices-function": "rate(1 hour)",
        "mplat-local-ingest-meter-readings-function": "rate(15 minutes)",
    }

    notification = boto3.client("s3").get_bucket_notification_configuration(Bucket=RAW)
    [trigger] = notification["LambdaFunctionConfigurations"]
    assert trigger["LambdaFunctionArn"].endswith(":function:mplat-local-transform-raw-function")
    assert trigger["Events"] == ["s3:ObjectCreated:*"] and "Filter" not in trigger  # the dispatcher filters

    [package] = (project / ".chalice" / "deployments").glob("*.zip")
    assert package.stat().st_size < ZIP_LIMIT

    # Names follow mplat-{env}-{service}-{type}; Lambdas (Chalice's `tags`) and their log groups (created by infra
    # before Chalice could create them untagged) carry the project's tag set.
    lambda_ = boto3.client("lambda")
    logs = boto3.client("logs")
    for name, function in functions.items():
        assert re.fullmatch(r"mplat-local-(ingest|transform)-[a-z-]+-function", name), name
        tags = lambda_.list_tags(Resource=function["FunctionArn"])["Tags"]
        assert {k: tags.get(k) for k in PROJECT_TAGS} == PROJECT_TAGS, name
        [group] = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
        assert group["retentionInDays"] == 30
        log_tags = logs.list_tags_for_resource(resourceArn=group["arn"].removesuffix(":*"))["tags"]
        assert {k: log_tags.get(k) for k in PROJECT_TAGS} == PROJECT_TAGS, name

    # Failure destinations exist once the functions do: the second apply after the first deploy sets them.
    before = run(infra_command("plan"), cwd=repo_root, check=False)
    assert (
        before.returncode == 2
        and "lambda-failure-destination mplat-local-transform-raw-function" in before.stdout
    )
    run(infra_command("apply", "--yes"), cwd=repo_root)
    queue = f"arn:aws:sqs:eu-central-1:{ACCOUNT}:mplat-local-ingestion-failures"
    for name in functions:
        invoke = lambda_.get_function_event_invoke_config(FunctionName=name)
        assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == queue, name
        assert invoke["MaximumRetryAttempts"] == 2
    assert run(infra_command("plan"), cwd=repo_root, check=False).returncode == 0


def test_chalice_package_terraform_offline(repo_root, tmp_path):
    project = copy_app(repo_root, tmp_path / "chalice_app")
    write_stage(project, "local", stage_config(role_arn("ingest"), role_arn("transform")))  # no AWS call
    # offline: no credentials, and any AWS call would hit a closed port
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_DEFAULT_REGION="eu-central-1")
    run(
        [CHALICE, "package", "--stage", "local", "--pkg-format", "terraform", str(tmp_path / "out")],
        cwd=project,
        env=env,
    )
    resources = json.loads((tmp_path / "out" / "chalice.tf.json").read_text())["resource"]
    assert sorted(resources["aws_lambda_function"]) == [
        "ingest-grid-prices-function",
        "ingest-meter-readings-function",
        "transform-raw-function",
    ]
    assert sorted(r["schedule_expression"] for r in resources["aws_cloudwatch_event_rule"].values()) == [
        "rate(1 hour)",
        "rate(15 minutes)",
    ]
    [notification] = resources["aws_s3_bucket_notification"].values()
    assert notification["bucket"] == RAW
    with zipfile.ZipFile(tmp_path / "out" / "deployment.zip") as archive:
        names = archive.namelist()
    assert "app.py" in names and "chalicelib/sources/grid_prices.py" in names
    assert not [n for n in names if n.startswith(("pandas", "numpy"))]
    assert (tmp_path / "out" / "deployment.zip").stat().st_size < ZIP_LIMIT

    # like the Lambda runtime: unpacked zip, no .chalice/, stage variables set; every handler string resolves
    unpacked = tmp_path / "lambda"
    with zipfile.ZipFile(tmp_path / "out" / "deployment.zip") as archive:
        archive.extractall(unpacked)
    handlers = [
        resources["aws_lambda_function"][name]["handler"] for name in resources["aws_lambda_function"]
    ]
    check = "import importlib, sys\nfor h in sys.argv[1:]:\n    m, f = h.rsplit('.', 1)\n    assert callable(getattr(importlib.import_module(m), f)), h"
    lambda_env = {**env, **stage_config(role_arn("ingest"), role_arn("transform"))["environment_variables"]}
    run(
        [sys.executable, "-c", check, *handlers],
        cwd=unpacked,
        env={**lambda_env, "PYTHONPATH": str(unpacked)},
    )
