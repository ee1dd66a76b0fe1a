"""Stop the build on notebooks that marimo would export without complaint but that cannot run."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import GalleryError, NotebookError
from .model import Notebook
from .tools import find_tool, marimo_cmd, run


def check_notebooks(notebooks: list[Notebook]) -> None:
    """Run `marimo check` on every notebook; raise on the first notebook with a breaking problem."""
    if not notebooks:
        return
    find_tool("uv", "install uv (it is a project dependency: `make setup`)")
    result = run([*marimo_cmd(), "check", "--format", "json", *[str(nb.path) for nb in notebooks]])
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise GalleryError(f"`marimo check` gave no JSON report:\n{result.stdout}\n{result.stderr}") from exc
    by_file: dict[str, list[dict]] = {}
    for issue in report.get("issues", []):
        if issue.get("severity") == "breaking":
            by_file.setdefault(str(Path(issue["filename"]).resolve()), []).append(issue)
    for nb in notebooks:
        problems = by_file.get(str(nb.path.resolve()))
        if problems:
            lines = [
                f"line {p.get('line')}: {p['message']} [{p.get('code')}]"
                + (f" — {p['fix']}" if p.get("fix") else "")
                for p in problems
            ]
            raise NotebookError(nb.path, "cannot run:\n  " + "\n  ".join(lines))
