"""Stop the build on notebooks that marimo would export without complaint but that cannot run.

A notebook that passed is remembered by content hash, so unchanged notebooks are not checked again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .discover import code_digest
from .errors import GalleryError, NotebookError
from .model import Notebook
from .tools import find_tool, marimo_cmd, run


def _marker(cache_dir: Path, nb: Notebook, marimo_version: str) -> Path:
    # The code only: a new title or description cannot make a notebook break (and saves a check per edit).
    digest = hashlib.sha256(f"{marimo_version} {code_digest(nb.path)}".encode()).hexdigest()[:32]
    return cache_dir / "checked" / digest


def check_notebooks(
    notebooks: list[Notebook], cache_dir: Path, marimo_version: str
) -> dict[str, NotebookError]:
    """Run `marimo check` on notebooks not checked before; return the breaking problems by slug."""
    todo = [nb for nb in notebooks if not _marker(cache_dir, nb, marimo_version).exists()]
    if not todo:
        return {}
    find_tool("uv", "install uv (it is a project dependency: `make setup`)")
    result = run([*marimo_cmd(), "check", "--format", "json", *[str(nb.path) for nb in todo]])
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise GalleryError(f"`marimo check` gave no JSON report:\n{result.stdout}\n{result.stderr}") from exc
    by_file: dict[str, list[dict]] = {}
    for issue in report.get("issues", []):
        if issue.get("severity") == "breaking":
            by_file.setdefault(str(Path(issue["filename"]).resolve()), []).append(issue)
    problems: dict[str, NotebookError] = {}
    for nb in todo:
        found = by_file.get(str(nb.path.resolve()))
        if found:
            lines = [
                f"line {p.get('line')}: {p['message']} [{p.get('code')}]"
                + (f" — {p['fix']}" if p.get("fix") else "")
                for p in found
            ]
            problems[nb.slug] = NotebookError(nb.path, "cannot run:\n  " + "\n  ".join(lines))
        else:
            marker = _marker(cache_dir, nb, marimo_version)
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    return problems
