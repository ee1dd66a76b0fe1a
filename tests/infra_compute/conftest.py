"""Fixtures for the compute-tier tests: `python -m infra` in-process against the moto server of `aws_env`,
with the Route53 zone (imported, so it must exist) and the Okta client secret set up as an operator would."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import boto3
import pytest
from infra_cli import REPO_ROOT, InfraRunner, Run, run_infra

__all__ = ["REPO_ROOT", "InfraRunner", "Run"]  # the test modules import these from here

ACCOUNT = "123456789012"
REGION = "eu-central-1"
ZONE = "dev.example.com"
DOMAIN = "marimo.dev.example.com"
# A recognisable fake secret: tests assert it never shows up in output or logs.
OKTA_CLIENT_SECRET = "okta-secret-3c1f9e7a-never-print-me"
OKTA_CLIENT_ID = "0oa-test-client"


@pytest.fixture
def aws_env(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shared `aws_env`, with ACM issuing DNS-validated certificates at once (moto's default waits
    60 s; the moto server runs in this process)."""
    import moto.settings

    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", 0)
    return aws_env


@pytest.fixture
def account(aws_env: str) -> str:
    """What an operator sets up before enabling compute: the hosted zone and the Okta app's client."""
    boto3.client("route53").create_hosted_zone(Name=ZONE, CallerReference="mplat-test")
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="mplat/dev/okta/client",
        SecretString=json.dumps({"client_id": OKTA_CLIENT_ID, "client_secret": OKTA_CLIENT_SECRET}),
    )
    return aws_env


def copy_envs(target: Path) -> Path:
    """A copy of infra/envs in `target`, with dev's server tier turned on (it is opt-in, and off in the
    shipped dev.toml): these tests are about that tier."""
    target.mkdir(parents=True, exist_ok=True)
    for source in (REPO_ROOT / "infra" / "envs").glob("*.toml"):
        text = source.read_text(encoding="utf-8")
        if source.stem == "dev":
            text, count = re.subn(r"(?m)^enabled = false$", "enabled = true", text)
            assert count == 1, "dev.toml: expected one `enabled = false` line, in [compute]"
        (target / source.name).write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def envs_dir(tmp_path: Path) -> Path:
    """A copy of infra/envs that a test may edit (change the image, the desired count, ...)."""
    return copy_envs(tmp_path / "envs")


@pytest.fixture
def infra(
    account: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    envs_dir: Path,
) -> InfraRunner:
    """`infra("apply", "--env", "dev", "--yes")` → Run(code, out, err) with the env files from `envs_dir`;
    the Chalice stage goes to a temporary config.json. Log records are appended to `err` so that
    secret checks also cover logging."""
    chalice_config = tmp_path / "chalice" / ".chalice" / "config.json"
    caplog.set_level(logging.INFO)

    def run(*argv: str) -> Run:
        args = [*argv, "--envs-dir", str(envs_dir)]
        if args[0] in ("plan", "apply", "destroy"):
            args += ["--chalice-config", str(chalice_config)]
        return run_infra(args, capsys, caplog)

    return run
