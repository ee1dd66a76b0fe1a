"""scripts/push-image without Docker: --dry-run prints the commands it would run, against moto's STS."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .conftest import ACCOUNT, REGION


def test_push_image_targets_the_env_repository(aws_env: str, repo_root: Path) -> None:
    result = subprocess.run(
        [str(repo_root / "scripts" / "push-image"), "--env", "dev", "--tag", "v7", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mplat-dev-compute-marimo"
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"docker login --username AWS --password-stdin {ACCOUNT}.dkr.ecr.{REGION}")
    build = lines[1].split()
    assert build[:4] == ["docker", "build", "-f", str(repo_root / "docker" / "marimo" / "Dockerfile")]
    assert f"{image}:v7" in build and f"{image}:latest" in build and build[-1] == str(repo_root)
    assert lines[2:4] == [f"docker push {image}:v7 ", f"docker push {image}:latest "]
    assert 'image_tag = "v7"' in result.stdout


def test_push_image_needs_an_env(repo_root: Path) -> None:
    result = subprocess.run(
        [str(repo_root / "scripts" / "push-image")], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 1 and "--env ENV is required" in result.stderr
