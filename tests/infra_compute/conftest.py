"""Fixtures for the compute-tier tests: `python -m infra` in-process against the moto server of `aws_env`,
with the Route53 zone (imported, so it must exist) and the Okta client secret set up as an operator would."""

from __future__ import annotations

import json
import logging
import os
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # `infra/` is a top-level package run from the repo root, not installed
    sys.path.insert(0, str(REPO_ROOT))

ACCOUNT = "123456789012"
REGION = "eu-central-1"
ZONE = "dev.example.com"
DOMAIN = "marimo.dev.example.com"
# A recognisable fake secret: tests assert it never shows up in output or logs.
OKTA_CLIENT_SECRET = "okta-secret-3c1f9e7a-never-print-me"
OKTA_CLIENT_ID = "0oa-test-client"


def _moto_api(endpoint: str, path: str, body: bytes = b"") -> None:
    # text/plain: with urllib's default form content type moto's Flask app swallows the body (reset-auth 500s).
    request = urllib.request.Request(
        endpoint + path, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    urllib.request.urlopen(request, timeout=10).read()


@pytest.fixture
def aws_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The shared `aws_env` with a reset that works on moto 5.2.5, and ACM issuing DNS-validated
    certificates at once (moto's default waits 60 s; the moto server runs in this process)."""
    import moto.settings

    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", 0)
    _moto_api(moto_server, "/moto-api/reset-auth", b"inf")
    _moto_api(moto_server, "/moto-api/reset")
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    yield moto_server
    _moto_api(moto_server, "/moto-api/reset")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


InfraRunner = Callable[..., Run]


@pytest.fixture
def account(aws_env: str) -> str:
    """What an operator sets up before enabling compute: the hosted zone and the Okta app's client."""
    boto3.client("route53").create_hosted_zone(Name=ZONE, CallerReference="mplat-test")
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="mplat/dev/okta/client",
        SecretString=json.dumps({"client_id": OKTA_CLIENT_ID, "client_secret": OKTA_CLIENT_SECRET}),
    )
    return aws_env


@pytest.fixture
def envs_dir(tmp_path: Path) -> Path:
    """A copy of infra/envs that a test may edit (change the image, the desired count, ...)."""
    target = tmp_path / "envs"
    target.mkdir()
    for source in (REPO_ROOT / "infra" / "envs").glob("*.toml"):
        (target / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return target


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
    from infra.cli import main

    chalice_config = tmp_path / "chalice" / ".chalice" / "config.json"
    caplog.set_level(logging.INFO)

    def run(*argv: str) -> Run:
        args = [*argv, "--envs-dir", str(envs_dir)]
        if args[0] in ("plan", "apply", "destroy"):
            args += ["--chalice-config", str(chalice_config)]
        capsys.readouterr()
        caplog.clear()
        code = main(args)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err + "\n" + caplog.text)

    return run
