"""Rebuilds do only the work whose inputs changed; non-strict builds skip a bad notebook with a card."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from e2e.sitebuild import build_site

NO_BROWSER = "      thumbnails_browser: ''\n"  # generated cards: this test counts work, not pixels


def _counts(output: str) -> tuple[int, int, int]:
    match = re.search(r"gallery: (\d+) notebooks, (\d+) exported, (\d+) thumbnails", output)
    assert match, output
    return int(match[1]), int(match[2]), int(match[3])


def test_noop_rebuild_exports_nothing_and_one_edit_exports_one(fixture_project: Callable[..., Path]) -> None:
    project = fixture_project(["good_demo", "second_demo"], NO_BROWSER)
    site = project / "site"
    first = build_site(project, site)
    assert first.returncode == 0, first.stderr
    assert _counts(first.stderr) == (2, 2, 2)

    assert "(resolved)" in first.stderr
    again = build_site(project, site)
    assert _counts(again.stderr) == (2, 0, 0)
    assert "MB of wheels (unchanged, reused)" in again.stderr  # no runtime resolution either

    notebook = project / "nb" / "second_demo.py"
    notebook.write_text(notebook.read_text().replace("Double:", "Twice:"))
    edited = build_site(project, site)
    assert _counts(edited.stderr) == (2, 1, 1)
    assert "second-demo: exporting" in edited.stderr and "good-demo: exporting" not in edited.stderr
    assert "Twice" in (site / "apps" / "second-demo.html").read_text()
    assert "(unchanged, reused)" in edited.stderr  # the edit imports nothing new

    # A new import (here from the standard library): the runtime is resolved again.
    notebook.write_text(
        notebook.read_text().replace(
            "    import marimo as mo\n", "    import json\n    import marimo as mo\n", 1
        )
    )
    imported = build_site(project, site)
    assert imported.returncode == 0, imported.stderr
    assert "(resolved)" in imported.stderr


def test_non_strict_build_skips_bad_notebook_with_warning_card(fixture_project: Callable[..., Path]) -> None:
    project = fixture_project(["good_demo", "defined_twice"], NO_BROWSER + "      strict: false\n")
    result = build_site(project, project / "site")
    assert result.returncode == 0, result.stderr
    assert "WARNING" in result.stderr and "defined_twice.py" in result.stderr
    gallery = (project / "site" / "gallery" / "index.html").read_text()
    assert "mplat-card--warning" in gallery and "defined-twice is unavailable" in gallery
    assert (project / "site" / "apps" / "good-demo.html").is_file()
    assert not (project / "site" / "apps" / "defined-twice.html").exists()
