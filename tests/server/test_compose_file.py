"""docker-compose.yml cannot run here (no Docker engine): check it parses, is consistent, and every file it
references exists; run its bucket initialisation script for real against moto."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from typing import Any

import boto3
import yaml

from .running import DERIVED_BUCKET, RAW_BUCKET, REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
TOP_LEVEL_KEYS = {"name", "services", "volumes", "networks", "configs", "secrets"}
SERVICE_KEYS = {
    "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "volumes", "depends_on",
    "healthcheck", "restart", "working_dir", "user", "networks", "pull_policy",
}  # fmt: skip


def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def test_parses_with_known_keys_only() -> None:
    document = compose()
    assert {key for key in document if not key.startswith("x-")} <= TOP_LEVEL_KEYS
    assert set(services()) == {"s3", "s3-init", "marimo"}
    for name, service in services().items():
        assert set(service) <= SERVICE_KEYS, f"{name}: unknown keys {set(service) - SERVICE_KEYS}"
        assert "image" in service or "build" in service, f"{name}: needs an image or a build"


def test_every_referenced_file_exists() -> None:
    declared_volumes = set(compose().get("volumes") or {})
    for name, service in services().items():
        build = service.get("build")
        if build:
            context = REPO_ROOT / build["context"]
            assert context.is_dir(), f"{name}: build context {context} missing"
            assert (context / build["dockerfile"]).is_file(), (
                f"{name}: dockerfile {build['dockerfile']} missing"
            )
        for env_file in service.get("env_file", []):
            assert (REPO_ROOT / env_file).is_file(), f"{name}: env_file {env_file} missing"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (REPO_ROOT / source).exists(), f"{name}: bind-mount source {source} missing"
            else:
                assert source in declared_volumes, f"{name}: volume {source} not declared at the top level"
        for dependency in service.get("depends_on", {}):
            assert dependency in services(), f"{name}: depends on unknown service {dependency}"
        for port in service.get("ports", []):
            assert re.fullmatch(r"127\.0\.0\.1:\d+:\d+", port), f"{name}: publish {port} on 127.0.0.1 only"
    init_script = services()["s3-init"]["command"][-1]
    mounts = dict(volume.split(":")[1::-1] for volume in services()["s3-init"]["volumes"])
    assert (REPO_ROOT / mounts[init_script]).is_file()


def test_marimo_service_matches_the_image_and_contract() -> None:
    marimo = services()["marimo"]
    assert marimo["build"] == {"context": ".", "dockerfile": "docker/marimo/Dockerfile"}
    assert marimo["ports"] == ["127.0.0.1:7860:7860"]
    environment = marimo["environment"]
    assert environment["RAW_BUCKET"] == RAW_BUCKET
    assert environment["DERIVED_BUCKET"] == DERIVED_BUCKET
    assert environment["SCRATCH_DIR"] == "/app/scratch"
    assert environment["AWS_ENDPOINT_URL"] == "http://s3:5000"
    assert environment["MPLAT_SERVER_AUTH"] == "token"  # no ALB in front locally
    assert marimo["depends_on"]["s3-init"]["condition"] == "service_completed_successfully"


def test_moto_image_matches_the_test_pin() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    (pin,) = [dep for dep in pyproject["project"]["optional-dependencies"]["dev"] if dep.startswith("moto")]
    assert services()["s3"]["image"] == f"motoserver/moto:{pin.split('==')[1]}"


def test_bucket_init_script_creates_the_contract_buckets_idempotently(aws_env: str) -> None:
    script = REPO_ROOT / "docker" / "marimo" / "init_local_s3.py"
    for _ in range(2):
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
    buckets = {bucket["Name"] for bucket in boto3.client("s3").list_buckets()["Buckets"]}
    assert buckets == {RAW_BUCKET, DERIVED_BUCKET}
    assert "exists  s3://" + RAW_BUCKET in result.stdout
