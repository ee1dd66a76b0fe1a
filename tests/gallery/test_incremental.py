"""Rebuilds do only the work whose inputs changed; non-strict builds skip a bad notebook with a card."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from e2e.sitebuild import build_site
from mkdocs.commands.build import build
from mkdocs.config import load_config

from mplat.gallery.model import BuildReport

NO_BROWSER = "      thumbnails_browser: ''\n"  # generated cards: this test counts work, not pixels


def build_report(project: Path, monkeypatch: pytest.MonkeyPatch) -> BuildReport:
    """`mkdocs build` in this process (as `make site` runs it), returning the gallery's report of the build."""
    monkeypatch.chdir(project)
    config = load_config(str(project / "mkdocs.yml"), site_dir=str(project / "site"))
    config.plugins.on_startup(command="build", dirty=False)
    build(config)
    prepared = config.plugins["mplat-gallery"].prepared
    assert prepared is not None
    return prepared.report


def test_noop_rebuild_exports_nothing_and_one_edit_exports_one(
    fixture_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = fixture_project(["good_demo", "second_demo"], NO_BROWSER)
    site = project / "site"
    first = build_report(project, monkeypatch)
    assert len(first.notebooks) == 2
    assert sorted(first.exported) == sorted(first.thumbnails) == ["good-demo", "second-demo"]
    assert not first.runtime_reused

    again = build_report(project, monkeypatch)
    assert (again.exported, again.thumbnails) == ([], [])
    assert again.runtime_reused  # no runtime resolution either

    notebook = project / "nb" / "second_demo.py"
    notebook.write_text(notebook.read_text().replace("Double:", "Twice:"))
    edited = build_report(project, monkeypatch)
    assert (edited.exported, edited.thumbnails) == (["second-demo"], ["second-demo"])
    assert "Twice" in (site / "apps" / "second-demo.html").read_text()
    assert edited.runtime_reused  # the edit imports nothing new

    # A new import (here from the standard library): the runtime is resolved again.
    notebook.write_text(
        notebook.read_text().replace(
            "    import marimo as mo\n", "    import json\n    import marimo as mo\n", 1
        )
    )
    imported = build_report(project, monkeypatch)
    assert not imported.runtime_reused


def test_non_strict_build_skips_bad_notebook_with_warning_card(fixture_project: Callable[..., Path]) -> None:
    project = fixture_project(["good_demo", "defined_twice"], NO_BROWSER + "      strict: false\n")
    result = build_site(project, project / "site")
    assert result.returncode == 0, result.stderr
    assert "WARNING" in result.stderr and "defined_twice.py" in result.stderr
    gallery = (project / "site" / "gallery" / "index.html").read_text()
    assert "mplat-card--warning" in gallery and "defined-twice is unavailable" in gallery
    assert (project / "site" / "apps" / "good-demo.html").is_file()
    assert not (project / "site" / "apps" / "defined-twice.html").exists()
