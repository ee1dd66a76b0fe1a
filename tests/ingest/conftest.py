"""Fixtures for ingestion tests: a copy of the Chalice app with a `local` stage, its buckets and roles in moto,
the fake API, and the app imported for `chalice.test.Client`.

The stage is written here (not by `python -m infra apply`) so these tests stay independent and fast; the local
stack test (`test_dev_stack.py`) goes through the real `python -m infra apply --env local`.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from mplat.ops.fake_api import FakeApi

ACCOUNT = "123456789012"
ENV = "local"
RAW = f"mplat-{ENV}-storage-raw-{ACCOUNT}"
DERIVED = f"mplat-{ENV}-storage-derived-{ACCOUNT}"
SOURCES = ("grid_prices", "meter_readings")
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@dataclass(frozen=True)
class Stack:
    endpoint: str
    project: Path  # a copy of chalice_app/ with stage `local`
    env_vars: dict[str, str]
    raw: str = RAW
    derived: str = DERIVED

    def s3(self) -> Any:
        return boto3.client("s3")

    def raw_keys(self, prefix: str = "") -> list[str]:
        pages = self.s3().get_paginator("list_objects_v2").paginate(Bucket=self.raw, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def derived_keys(self, prefix: str = "") -> list[str]:
        pages = self.s3().get_paginator("list_objects_v2").paginate(Bucket=self.derived, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def derived_json(self, key: str) -> Any:
        return json.loads(self.s3().get_object(Bucket=self.derived, Key=key)["Body"].read())


def copy_app(repo_root: Path, target: Path) -> Path:
    shutil.copytree(
        repo_root / "chalice_app",
        target,
        ignore=shutil.ignore_patterns("__pycache__", "deployments", "deployed", "venv"),
    )
    return target


def write_stage(project: Path, stage: str, stage_config: dict[str, Any]) -> None:
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    config.setdefault("stages", {})[stage] = stage_config
    config_path.write_text(json.dumps(config, indent=2))


def stage_config(ingest_role: str, transform_role: str, sources: tuple[str, ...] = SOURCES) -> dict[str, Any]:
    """The stage `python -m infra apply --env local` writes (see the backend contract), plus test-speed knobs."""
    return {
        "api_gateway_stage": "api",
        "manage_iam_role": False,
        "autogen_policy": False,
        "iam_role_arn": transform_role,
        "environment_variables": {
            "MPLAT_ENV": ENV,
            "RAW_BUCKET": RAW,
            "DERIVED_BUCKET": DERIVED,
            "SECRET_PREFIX": f"mplat/{ENV}/ingest/",
            # fast retries and a small cap keep the failure tests quick
            "INGEST_BACKOFF_BASE_SECONDS": "0.05",
            "INGEST_MAX_RESPONSE_BYTES": str(1024 * 1024),
            "INGEST_TIMEOUT_SECONDS": "2",
        },
        "lambda_functions": {
            **{f"ingest-{s.replace('_', '-')}-function": {"iam_role_arn": ingest_role} for s in sources},
            "transform-raw-function": {"iam_role_arn": transform_role},
        },
    }


def role_arn(role: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/mplat-{ENV}-iam-{role}-lambda-role"


def provision() -> dict[str, Any]:
    """What infra's apply creates for ingestion (two buckets, two roles); returns the stage it would write."""
    s3 = boto3.client("s3")
    for bucket in (RAW, DERIVED):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    iam = boto3.client("iam")
    for role in ("ingest", "transform"):
        iam.create_role(
            RoleName=f"mplat-{ENV}-iam-{role}-lambda-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
        )
    return stage_config(role_arn("ingest"), role_arn("transform"))


@pytest.fixture
def stack(aws_env: str, repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Stack:
    project = copy_app(repo_root, tmp_path / "chalice_app")
    stage = provision()
    write_stage(project, ENV, stage)
    monkeypatch.setenv("MPLAT_CHALICE_APP", str(project))  # `mplat ingest/transform` use this copy
    return Stack(endpoint=aws_env, project=project, env_vars=stage["environment_variables"])


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    with FakeApi() as api:
        yield api


def store_secrets(api: FakeApi, sources: tuple[str, ...] = SOURCES) -> None:
    client = boto3.client("secretsmanager")
    for source in sources:
        client.create_secret(
            Name=f"mplat/{ENV}/ingest/{source}", SecretString=json.dumps(api.secrets()[source])
        )


@pytest.fixture
def with_secrets(stack: Stack, fake_api: FakeApi) -> FakeApi:
    store_secrets(fake_api)
    return fake_api


def _forget_app_modules() -> None:
    for name in list(sys.modules):
        if name == "app" or name == "chalicelib" or name.startswith("chalicelib."):
            del sys.modules[name]


@pytest.fixture
def app_module(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """`app.py` of the project copy, imported the way `chalice deploy --stage local` imports it."""
    for key, value in stack.env_vars.items():
        monkeypatch.setenv(key, value)
    _forget_app_modules()
    monkeypatch.syspath_prepend(str(stack.project))
    module = importlib.import_module("app")
    yield module
    _forget_app_modules()


@pytest.fixture
def chalicelib(app_module: ModuleType) -> ModuleType:
    """The `chalicelib` package that belongs to the imported app (fresh caches per test)."""
    return importlib.import_module("chalicelib")


@pytest.fixture(autouse=True)
def _quiet_moto_request_log() -> Iterator[None]:
    """The in-process moto server logs every request through werkzeug; capturing thousands of lines is slow."""
    import logging

    logger = logging.getLogger("werkzeug")
    previous = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(previous)
