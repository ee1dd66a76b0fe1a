"""`mplat` outside a checkout: the wheel installed into a fresh venv, run in a project folder elsewhere.

The third-party dependencies come from this test run's own venv (a `.pth` line; the ones `pip` would install
are already here), `mplat` and `chalicelib` only from the wheel: the fresh venv never sees src/ or chalice_app/
of the repository, so any lookup relative to the package's own files would fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from ingest.test_dev_stack import read_until_ready

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.xdist_group("fresh-venv")


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fresh")
    # Built from a copy of what the wheel holds: setuptools leaves a build/ folder beside the sources.
    source = root / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".chalice")
    for folder in ("src", "chalice_app"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            str(source),
            "-w",
            str(root),
        ],
        check=True,
        cwd=root,
        timeout=300,
    )
    (wheel,) = root.glob("mplat-*.whl")
    venv = root / "venv"
    python312 = Path(sys.base_prefix) / "bin" / "python3.12"
    subprocess.run([str(python312), "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check", str(wheel)],
        check=True,
        timeout=300,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # After the venv's own site-packages: the wheel's mplat and chalicelib come first.
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder as a team keeps one: infra/ and chalice_app/, no src/."""
    folder = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "deployments", "deployed")
    shutil.copytree(REPO / "infra", folder / "infra", ignore=ignore)
    shutil.copytree(REPO / "chalice_app", folder / "chalice_app", ignore=ignore)
    return folder


def clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "MPLAT_", "PYTHON", "VIRTUAL_ENV")) and k != "PWD"
    }


def test_mplat_help_and_dev_up_from_the_installed_wheel(fresh_venv: Path, project: Path) -> None:
    mplat = str(fresh_venv / "bin" / "mplat")
    where = subprocess.run(
        [
            str(fresh_venv / "bin" / "python"),
            "-c",
            "import mplat, chalicelib; print(mplat.__file__, chalicelib.__file__)",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        env=clean_env(),
        check=True,
    ).stdout
    assert str(REPO) not in where and where.count(str(fresh_venv)) == 2, where

    help_text = subprocess.run(
        [mplat, "--help"], cwd=project, capture_output=True, text=True, env=clean_env(), timeout=120
    )
    assert help_text.returncode == 0, help_text.stderr
    assert all(command in help_text.stdout for command in ("dev", "ingest", "transform"))

    listed = subprocess.run(
        [mplat, "ingest", "list"], cwd=project, capture_output=True, text=True, env=clean_env(), timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    assert {"grid_prices", "meter_readings"} <= set(listed.stdout.split())

    process = subprocess.Popen(
        [mplat, "dev", "up", "--port-moto", "0", "--port-api", "0"],
        cwd=project / "chalice_app",  # a sub-folder: the project is found above it
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        exports = read_until_ready(process)
        assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        stage = (project / "chalice_app" / ".chalice" / "config.json").read_text()
        assert '"local"' in stage  # infra apply wrote the stage into this project, not the repository
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def test_outside_any_project_the_error_says_how_to_point_at_one(fresh_venv: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(fresh_venv / "bin" / "mplat"), "dev", "up"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
    )
    assert result.returncode != 0
    assert "no mplat project" in result.stderr and "MPLAT_PROJECT" in result.stderr
