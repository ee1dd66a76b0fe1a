"""The project folder a command works on: where `infra/envs/`, `chalice_app/`, `notebooks/` and `data/` are.

`mplat` is installed (a wheel or `pip install -e`), so it never looks for these beside its own files: they
come from an option, from `$MPLAT_PROJECT`, or from the current folder (or the nearest parent that holds a
project, as git finds its repository).
"""

from __future__ import annotations

import os
from pathlib import Path

# Any of these marks a folder as an mplat project.
MARKERS = ("infra/envs", "chalice_app/app.py", "mkdocs.yml")


class NoProject(Exception):
    """No project folder around the current directory; the message says how to point at one."""


def find_project(start: Path | None = None) -> Path:
    """`$MPLAT_PROJECT`, else `start` (default: the current folder) or its nearest parent holding a marker."""
    explicit = os.environ.get("MPLAT_PROJECT")
    if explicit:
        return Path(explicit).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in MARKERS):
            return folder
    raise NoProject(
        f"no mplat project in {here} or above it (none of {', '.join(MARKERS)}): run from the project "
        "folder (a clone of the repository) or set MPLAT_PROJECT=/path/to/project"
    )
