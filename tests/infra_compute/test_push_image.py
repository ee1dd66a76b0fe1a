"""scripts/push-image without Docker: --dry-run prints the commands it would run, against moto's STS.

It runs from a small git checkout made here (the script, infra/, the Dockerfile), so the test can make the tree
dirty without touching the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ACCOUNT, REGION

IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mplat-dev-compute-marimo"


def git(root: Path, *args: str) -> str:
    command = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def checkout(repo_root: Path, tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    shutil.copytree(repo_root / "infra", root / "infra", ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("scripts/push-image", "docker/marimo/Dockerfile", "src/mplat/__init__.py"):
        (root / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo_root / part, root / part)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "image")
    return root


def push(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MPLAT_PYTHON": sys.executable}
    return subprocess.run(
        [str(root / "scripts" / "push-image"), "--env", "dev", "--dry-run", *args],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip


def test_the_tag_is_the_commit_and_nothing_mutable_is_pushed(aws_env: str, checkout: Path) -> None:
    result = push(checkout)
    assert result.returncode == 0, result.stderr
    commit = git(checkout, "rev-parse", "--short=12", "HEAD")
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"docker login --username AWS --password-stdin {ACCOUNT}.dkr.ecr.{REGION}")
    build = lines[1].split()
    assert build[:4] == ["docker", "build", "-f", str(checkout / "docker" / "marimo" / "Dockerfile")]
    assert build[4:6] == ["-t", f"{IMAGE}:{commit}"] and build[-1] == str(checkout)
    assert lines[2] == f"docker push {IMAGE}:{commit} "
    assert "latest" not in result.stdout  # ECR tags are immutable: a moving tag cannot be re-pushed
    assert f'image_tag = "{commit}"' in result.stdout


@pytest.mark.parametrize("change", ["edit", "untracked"])
def test_a_dirty_tree_is_refused_unless_allowed(aws_env: str, checkout: Path, change: str) -> None:
    if change == "edit":
        with (checkout / "docker" / "marimo" / "Dockerfile").open("a") as handle:
            handle.write("# local experiment\n")
    else:
        (checkout / "src" / "mplat" / "new_module.py").write_text("X = 1\n")
    refused = push(checkout)
    assert refused.returncode == 1 and refused.stdout == ""
    assert "uncommitted changes in the build context" in refused.stderr
    assert "commit them first, or pass --allow-dirty" in refused.stderr

    allowed = push(checkout, "--allow-dirty")
    assert allowed.returncode == 0, allowed.stderr
    commit = git(checkout, "rev-parse", "--short=12", "HEAD")
    tag = re.search(rf"{re.escape(IMAGE)}:(\S+)", allowed.stdout.splitlines()[1])
    assert tag and re.fullmatch(rf"{commit}-dirty-\d{{8}}T\d{{6}}Z", tag[1])


def test_push_image_needs_an_env(repo_root: Path) -> None:
    result = subprocess.run(
        [str(repo_root / "scripts" / "push-image")], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 1 and "--env ENV is required" in result.stderr
