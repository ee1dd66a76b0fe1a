"""Bad notebooks and bad config stop the build with a message naming the problem; site/ stays intact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from e2e.sitebuild import build_site

NO_BROWSER = "      thumbnails_browser: ''\n"  # generated cards: these builds are about errors, not pixels


def _snapshot(site: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(site)): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and p.stat().st_size < 200_000
    }


@pytest.fixture(scope="module")
def good_site(shared_project: Callable[..., Path]) -> tuple[Path, Path]:
    project = shared_project(["good_demo"], NO_BROWSER)
    site = project / "site"
    result = build_site(project, site)
    assert result.returncode == 0, result.stderr
    assert (site / "apps" / "good-demo.html").is_file()
    assert (site / "gallery" / "good-demo" / "index.html").is_file()
    return project, site


@pytest.mark.parametrize(
    ("notebook", "expected"),
    [
        ("syntax_error", ["syntax_error.py", "syntax error"]),
        ("defined_twice", ["defined_twice.py", "'rate' is defined in multiple cells"]),
        (
            "imports_psycopg2",
            ["imports_psycopg2.py", "import psycopg2", "cannot run in the browser", "notebooks/analysis/"],
        ),
        (
            "missing_dependency",
            ["missing_dependency.py", "mplat-no-such-package-xyz", "cannot run in the browser"],
        ),
    ],
)
def test_bad_notebook_fails_build_and_keeps_previous_site(
    good_site: tuple[Path, Path], shared_project: Callable[..., Path], notebook: str, expected: list[str]
) -> None:
    project, site = good_site
    before = _snapshot(site)
    shared_project(["good_demo", notebook], NO_BROWSER)
    result = build_site(project, site)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for text in expected:
        assert text in output, output
    assert _snapshot(site) == before, "a failed build changed the previous site"


def test_unknown_plugin_option_is_a_config_error(fixture_project: Callable[..., Path]) -> None:
    project = fixture_project(["good_demo"], extra_options="      notebook_dir_typo: x\n")
    result = build_site(project, project / "site")
    assert result.returncode != 0
    assert "notebook_dir_typo" in result.stderr and "Config value" in result.stderr
    assert not (project / "site").exists()


def test_missing_notebooks_folder_is_a_config_error(fixture_project: Callable[..., Path]) -> None:
    project = fixture_project(["good_demo"])
    (project / "nb" / "good_demo.py").unlink()
    (project / "nb").rmdir()
    result = build_site(project, project / "site")
    assert result.returncode != 0
    assert "notebooks_dir" in result.stderr and "isn't an existing directory" in result.stderr
