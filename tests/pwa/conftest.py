"""A small site built once per session with the real plugin, configured as mkdocs.yml (pre-computed outputs, bytecode).

Every test using it is in the xdist group "pwa", so one worker builds it. Save-Data and slow links are
emulated by replacing `navigator.connection` before any page script runs (a request header alone does not
change what page JavaScript sees).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.fixtures import Partner
from e2e.sitebuild import build_site, write_fixture_project

from mplat.gallery.preview import SiteServer

FIXTURES = Path(__file__).parent / "fixtures"
SLUG = "solar-day"
PRECOMPUTED_TEXT = "Energy today: 18.0 kWh"  # the notebook's output for the slider's initial value


def connection_script(*, save_data: bool = False, effective_type: str = "4g") -> str:
    """JS for `context.add_init_script`: what `navigator.connection` reports, in pages and frames."""
    return (
        "Object.defineProperty(Navigator.prototype, 'connection', {configurable: true, get() { return {"
        f"saveData: {'true' if save_data else 'false'}, effectiveType: '{effective_type}', downlink: 0.4, "
        "rtt: 400, addEventListener() {}, removeEventListener() {}}; }});"
    )


def write_pwa_project(root: Path, embed_origin: str) -> Path:
    return write_fixture_project(
        root,
        [FIXTURES / "solar_day.py"],
        # As in mkdocs.yml: outputs pre-computed, bytecode shipped (each test here boots Python).
        '      precompute_outputs: true\n      precompile_python: true\n      thumbnails_browser: ""\n'
        f'      embed_origins: ["{embed_origin}"]\n',
        site_name="Solar Demos",
        description="PWA test site",
    )


@pytest.fixture(scope="session")
def pwa_site(tmp_path_factory: pytest.TempPathFactory, partner: Partner) -> Path:
    root = write_pwa_project(tmp_path_factory.mktemp("pwa") / "project", partner.server.url.rstrip("/"))
    site = root.parent / "site"
    result = build_site(root, site)
    assert result.returncode == 0, f"mkdocs build failed:\n{result.stdout}\n{result.stderr}"
    return site


@pytest.fixture(scope="session")
def pwa_server(pwa_site: Path) -> Iterator[SiteServer]:
    server = SiteServer(pwa_site).start()
    yield server
    server.stop()
