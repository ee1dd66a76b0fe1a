"""Fixtures for the infra tests: run `python -m infra` in-process against the moto server from `aws_env`."""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
import pytest
from infra_cli import InfraRunner, Run, run_infra

ACCOUNT = "123456789012"
# The services this folder's tests cover; the compute services (network, efs, dns, compute, ...) test
# themselves, so a change there cannot break these tests and vice versa.
CORE_SERVICES = "storage,iam,ingestion,secrets,site,outputs"


@pytest.fixture
def chalice_config(tmp_path: Path) -> Path:
    return tmp_path / "chalice" / ".chalice" / "config.json"


@pytest.fixture
def infra(aws_env: str, capsys: pytest.CaptureFixture[str], chalice_config: Path) -> InfraRunner:
    """`infra("apply", "--env", "dev", "--yes")` → Run(code, out, err); plan/apply/destroy write the
    Chalice stage into a temporary config.json, never the repo's, and cover CORE_SERVICES unless the
    call passes its own --only."""

    def run(*argv: str) -> Run:
        args = list(argv)
        if args[0] in ("plan", "apply", "destroy"):
            args += ["--chalice-config", str(chalice_config)]
            if "--only" not in args:
                args += ["--only", CORE_SERVICES]
        return run_infra(args, capsys)

    return run


@pytest.fixture
def s3(aws_env: str):
    return boto3.client("s3", region_name="eu-central-1")


@pytest.fixture
def iam(aws_env: str):
    return boto3.client("iam", region_name="eu-central-1")


@pytest.fixture
def secretsmanager(aws_env: str):
    return boto3.client("secretsmanager", region_name="eu-central-1")


def lint_policy(doc: dict, *, resource_policy: bool = False) -> list[str]:
    """parliament's findings for one policy document, as "ISSUE: detail" strings (empty = clean)."""
    shimmed = _provide_pkg_resources()
    import json as _json

    import parliament

    if shimmed:  # parliament holds its own reference; other code must not find the stand-in
        sys.modules.pop("pkg_resources", None)

    policy = parliament.analyze_policy_string(
        _json.dumps(doc), ignore_private_auditors=True, include_community_auditors=False
    )
    return [f"{f.issue}: {f.detail}" for f in policy.findings]


def _provide_pkg_resources() -> bool:
    """parliament 1.6 imports `pkg_resources` (gone from setuptools >= 81) only for `resource_filename`.

    Returns True when a stand-in was installed.
    """
    if "parliament" in sys.modules:
        return False
    try:
        import pkg_resources  # noqa: F401

        return False
    except ModuleNotFoundError:
        import types

        shim = types.ModuleType("pkg_resources")

        def resource_filename(package: str, resource: str) -> str:
            return str(Path(sys.modules[package].__file__).parent / resource)

        shim.resource_filename = resource_filename  # type: ignore[attr-defined]
        sys.modules["pkg_resources"] = shim
        return True


@pytest.fixture
def dev_site_policy(tmp_path: Path) -> dict:
    """The dev site bucket policy (CloudFront OAC read + TLS-only), built without CloudFront."""
    from infra.aws import Aws
    from infra.config import load_config
    from infra.engine import Context
    from infra.services import site

    class FixedAccount(Aws):
        account_id = ACCOUNT

    ctx = Context(
        config=load_config("dev"), aws=FixedAccount("eu-central-1"), chalice_config=tmp_path / "c.json"
    )
    doc = site.bucket_policy(ctx, site.SiteNames.of(ctx), f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1")
    assert doc is not None
    return doc
