"""Under `mkdocs serve` a save must reload the page within seconds (issue 18; timed in bench_serve): a quick
build leaves what is slow and not cached yet — outputs computed at build time, thumbnails, server previews —
to a full build, which the plugin runs in the background after the reload; then everything is cached."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from e2e.sitebuild import NPM, share_wheel_cache

from mplat.config import PYODIDE_CDN
from mplat.gallery.app_page import stored_outputs
from mplat.gallery.pipeline import GalleryRequest, prepare
from mplat.gallery.thumbnails import latest_path

FIXTURES = Path(__file__).parent / "fixtures"


def _retitle(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(f'# title = "{old}"', f'# title = "{new}"', 1))


def test_quick_build_defers_slow_work_and_a_full_build_catches_up(tmp_path: Path) -> None:
    demos, analysis = tmp_path / "demos", tmp_path / "analysis"
    demos.mkdir()
    analysis.mkdir()
    shutil.copy(FIXTURES / "good_demo.py", demos)
    shutil.copy(FIXTURES / "second_demo.py", analysis)  # any notebook can stand for a server one here
    share_wheel_cache(tmp_path / "cache")
    full = GalleryRequest(
        notebooks_dir=demos,
        server_notebooks_dir=analysis,
        cache_dir=tmp_path / "cache",
        pyodide_dir=NPM / "pyodide",
        pyodide_dist_url=PYODIDE_CDN,
        precompute_outputs=True,
        precompile_python=False,
        thumbnails_browser=None,  # generated cards: this test is about what is deferred, not pixels
    )
    quick = replace(full, quick=True)
    logs: list[str] = []
    first = prepare(full, log=logs.append)
    assert not first.report.deferred and stored_outputs(first.exports.html["good-demo"].read_text())
    # marimo's session files go to the build cache, not beside the notebooks (mkdocs serve watches those).
    assert not (demos / "__marimo__").exists() and not (analysis / "__marimo__").exists()

    _retitle(demos / "good_demo.py", "Good demo", "Good demo, renamed")
    _retitle(analysis / "second_demo.py", "Second demo", "Second demo, renamed")
    logs.clear()
    saved = prepare(quick, log=logs.append)
    assert saved.report.deferred
    assert [nb.title for nb in saved.all_notebooks] == ["Good demo, renamed", "Second demo, renamed"]
    # Only the titles changed: the previous exports show the same notebooks, nothing is run or checked.
    assert not any("exporting" in line for line in logs), logs
    assert saved.exports.html == first.exports.html
    assert saved.thumbnails == first.thumbnails  # those of the exports shown

    # A code change: exported at once, without its outputs (those take the notebook's run).
    notebook = demos / "good_demo.py"
    notebook.write_text(notebook.read_text().replace('label="n"', 'label="count"'))
    logs.clear()
    edited = prepare(quick, log=logs.append)
    assert edited.report.deferred and "good-demo: exported" in logs
    html = edited.exports.html["good-demo"].read_text()
    assert "count" in html and stored_outputs(html) == []
    assert edited.thumbnails["good-demo"] == latest_path(full.cache_dir, "good-demo")  # the previous one

    caught_up = prepare(full)  # what the plugin runs in the background after the reload
    assert sorted(caught_up.report.exported) == ["good-demo", "second-demo"]
    again = prepare(quick)
    assert not again.report.deferred and again.report.exported == []
    assert again.exports.html == caught_up.exports.html and again.thumbnails == caught_up.thumbnails
    assert stored_outputs(again.exports.html["good-demo"].read_text())
