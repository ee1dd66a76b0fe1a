"""A small site built once per session with the real plugin, pre-computed outputs on (as in mkdocs.yml).

Every test using it is in the xdist group "pwa", so one worker builds it. Save-Data and slow links are
emulated by replacing `navigator.connection` before any page script runs (a request header alone does not
change what page JavaScript sees).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.sitebuild import build_site

from mplat.gallery.preview import SiteServer

FIXTURES = Path(__file__).parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parents[2]
SLUG = "solar-day"
PRECOMPUTED_TEXT = "Energy today: 18.0 kWh"  # the notebook's output for the slider's initial value


def connection_script(*, save_data: bool = False, effective_type: str = "4g") -> str:
    """JS for `context.add_init_script`: what `navigator.connection` reports, in pages and frames."""
    return (
        "Object.defineProperty(Navigator.prototype, 'connection', {configurable: true, get() { return {"
        f"saveData: {'true' if save_data else 'false'}, effectiveType: '{effective_type}', downlink: 0.4, "
        "rtt: 400, addEventListener() {}, removeEventListener() {}}; }});"
    )


def write_pwa_project(root: Path) -> Path:
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "index.md").write_text("# PWA test site\n")
    (root / "nb").mkdir(exist_ok=True)
    shutil.copy(FIXTURES / "solar_day.py", root / "nb" / "solar_day.py")
    (root / "mkdocs.yml").write_text(
        "site_name: Solar Demos\n"
        "site_description: PWA test site\n"
        "theme:\n  name: material\n  font: false\n"
        "plugins:\n"
        "  - mplat-gallery:\n"
        "      notebooks_dir: nb\n"
        "      precompute_outputs: true\n"
        '      thumbnails_browser: ""\n'
        f"      cache_dir: {root / '.cache'}\n"
        f"      pyodide_package: {REPO_ROOT / 'node_modules' / 'pyodide'}\n"
        f"      mathjax_file: {REPO_ROOT / 'node_modules' / 'mathjax-full' / 'es5' / 'tex-mml-svg.js'}\n"
    )
    # Share the repository's wheel download cache: no test fetches the same wheels again.
    wheels = REPO_ROOT / ".cache" / "plugin" / "mplat-gallery" / "wheels"
    if wheels.is_dir() and not (root / ".cache" / "wheels").exists():
        shutil.copytree(wheels, root / ".cache" / "wheels", copy_function=_link)
    return root


def _link(src: str, dst: str) -> None:
    Path(dst).hardlink_to(src)


@pytest.fixture(scope="session")
def pwa_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_pwa_project(tmp_path_factory.mktemp("pwa") / "project")
    site = root.parent / "site"
    result = build_site(root, site)
    assert result.returncode == 0, f"mkdocs build failed:\n{result.stdout}\n{result.stderr}"
    return site


@pytest.fixture(scope="session")
def pwa_server(pwa_site: Path) -> Iterator[SiteServer]:
    server = SiteServer(pwa_site).start()
    yield server
    server.stop()
