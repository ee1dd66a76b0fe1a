"""Running the external tools the pipeline depends on (marimo, uv) as subprocesses.

`marimo._export` is private API, so the pipeline drives the pinned marimo CLI instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import GalleryError

BIN_DIR = Path(sys.executable).parent


def tool_env() -> dict[str, str]:
    """The environment for tool subprocesses: this venv's bin first (marimo export needs `uv` on PATH)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    return env


def find_tool(name: str, install_hint: str) -> str:
    path = shutil.which(name, path=tool_env()["PATH"])
    if path is None:
        raise GalleryError(f"`{name}` was not found on PATH; {install_hint}")
    return path


def marimo_cmd() -> list[str]:
    return [find_tool("marimo", "install the project with `make setup` (pip install -e '.[dev]')")]


def run(
    cmd: list[str],
    *,
    cwd: Path | None = None,
    timeout: float = 600,
    environment: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a tool; `environment` adds to (or overrides) the tool environment."""
    env = {**tool_env(), **(environment or {})}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
