"""What the build benchmarks share: a scratch copy of the project and the environment its tools run in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def tool_env() -> dict[str, str]:
    """The environment for `mkdocs` and `marimo` runs: the venv's tools first, MkDocs' 2.0 notice off."""
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def linked_project(root: Path) -> Path:
    """A new project folder at `root` sharing the repository's docs, sources, data and npm packages (links);
    the caller adds the notebooks and mkdocs.yml it measures."""
    root.mkdir(parents=True)
    for name in ("docs", "src", "data", "node_modules"):
        (root / name).symlink_to(REPO / name)
    return root
