"""Acceptance: `chalice deploy --stage local` against the local stack, and `chalice package` (terraform) offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3

from .conftest import RAW, copy_app, role_arn, stage_config, write_stage

CHALICE = str(Path(sys.executable).with_name("chalice"))
ZIP_LIMIT = 5 * 1024 * 1024


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, cwd=cwd, env=env or dict(os.environ), capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_chalice_deploy_against_local_stack(aws_env, repo_root, tmp_path):
    project = copy_app(repo_root, tmp_path / "chalice_app")
    config = project / ".chalice" / "config.json"
    run(
        [sys.executable, "-m", "infra", "apply", "--env", "local", "--yes", "--chalice-config", str(config)],
        cwd=repo_root,
    )
    run([CHALICE, "deploy", "--stage", "local"], cwd=project)

    functions = {f["FunctionName"]: f for f in boto3.client("lambda").list_functions()["Functions"]}
    assert sorted(functions) == [
        "mplat-local-ingest_grid_prices",
        "mplat-local-ingest_meter_readings",
        "mplat-local-transform_raw",
    ]
    assert functions["mplat-local-ingest_grid_prices"]["Role"].endswith("/mplat-local-iam-ingest-lambda-role")
    assert functions["mplat-local-transform_raw"]["Role"].endswith("/mplat-local-iam-transform-lambda-role")
    # Lambda resolves "<module>.<attribute>": the generated handlers are attributes of their blueprint module
    handlers = {name: f["Handler"] for name, f in functions.items()}
    assert handlers == {
        "mplat-local-ingest_grid_prices": "chalicelib.blueprints.ingest.ingest_grid_prices",
        "mplat-local-ingest_meter_readings": "chalicelib.blueprints.ingest.ingest_meter_readings",
        "mplat-local-transform_raw": "chalicelib.blueprints.transform.transform_raw",
    }
    assert functions["mplat-local-ingest_grid_prices"]["Environment"]["Variables"]["RAW_BUCKET"] == RAW

    events = boto3.client("events")
    schedules = {}
    for rule in events.list_rules()["Rules"]:
        [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        schedules[target["Arn"].rsplit(":", 1)[1]] = rule["ScheduleExpression"]
    assert schedules == {
        "mplat-local-ingest_grid_prices": "rate(1 hour)",
        "mplat-local-ingest_meter_readings": "rate(15 minutes)",
    }

    notification = boto3.client("s3").get_bucket_notification_configuration(Bucket=RAW)
    [trigger] = notification["LambdaFunctionConfigurations"]
    assert trigger["LambdaFunctionArn"].endswith(":function:mplat-local-transform_raw")
    assert trigger["Events"] == ["s3:ObjectCreated:*"] and "Filter" not in trigger  # the dispatcher filters

    [package] = (project / ".chalice" / "deployments").glob("*.zip")
    assert package.stat().st_size < ZIP_LIMIT


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
        "ingest_grid_prices",
        "ingest_meter_readings",
        "transform_raw",
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
