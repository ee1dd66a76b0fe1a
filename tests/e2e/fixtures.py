"""Browser and site fixtures (registered in tests/conftest.py): the demo site built once per session,
served on 127.0.0.1, and one Chromium per worker.

Every test that uses the built site is in the xdist group "site", so the site is built by one worker only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from mplat.gallery.preview import SiteServer

from .browser import CHROMIUM, CHROMIUM_ARGS, OriginGuard
from .sitebuild import build_site


@pytest.fixture(scope="session")
def built_site(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mkdocs build` of the real project (the same as `make site`), once per session."""
    site = tmp_path_factory.mktemp("built") / "site"
    result = build_site(repo_root, site)
    assert result.returncode == 0, f"mkdocs build failed:\n{result.stdout}\n{result.stderr}"
    return site


@pytest.fixture(scope="session")
def site_server(built_site: Path) -> Iterator[SiteServer]:
    server = SiteServer(built_site).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def guard() -> OriginGuard:
    return OriginGuard()


@pytest.fixture
def context(chromium: Browser, guard: OriginGuard) -> Iterator[BrowserContext]:
    """A fresh browser profile whose every request leaving 127.0.0.1 is recorded and blocked."""
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900})
    ctx.route("**/*", guard.handle)
    yield ctx
    ctx.close()
