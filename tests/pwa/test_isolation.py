"""Cross-origin isolation (COOP/COEP added by the offline service worker) without breaking pages or embeds."""

from __future__ import annotations

import pytest
from e2e.browser import BOOT_TIMEOUT_MS, OriginGuard, computed_outputs, move_first_slider, wait_for_change
from e2e.fixtures import Partner
from playwright.sync_api import BrowserContext, Page

from mplat.gallery.preview import SiteServer
from mplat.gallery.thumbnails import SNAPSHOT_SCRIPT

from .conftest import PRECOMPUTED_TEXT, SLUG

pytestmark = pytest.mark.xdist_group("pwa")


def _under_the_worker(page: Page, url: str) -> None:
    """Open `url`, let the site's service worker take control, and load it again through the worker.

    Python stays held on this page (the outputs computed at build time show): these tests boot it only where
    they need it, and two boots in the background would only slow the one that matters.
    """
    page.add_init_script(SNAPSHOT_SCRIPT)
    page.goto(url)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=120_000)
    page.reload()
    page.wait_for_load_state("load")


def test_notebook_page_is_cross_origin_isolated(
    pwa_server: SiteServer, context: BrowserContext, guard: OriginGuard
) -> None:
    page = context.new_page()
    _under_the_worker(page, f"{pwa_server.url}gallery/{SLUG}/")
    assert page.evaluate("crossOriginIsolated") is True
    frame = page.wait_for_selector("iframe.mplat-notebook__frame").content_frame()
    assert frame is not None
    frame.get_by_text(PRECOMPUTED_TEXT).wait_for(timeout=60_000)
    # The notebook itself is isolated too: marimo can give its worker the interrupt buffer.
    assert frame.evaluate("crossOriginIsolated && typeof SharedArrayBuffer === 'function'") is True
    assert guard.external == []


def test_embed_snippet_works_in_a_page_of_a_configured_origin(
    pwa_server: SiteServer, partner: Partner, context: BrowserContext, guard: OriginGuard
) -> None:
    page = context.new_page()
    # The visitor has the app installed (worker active on the site's origin), then meets an embed elsewhere.
    _under_the_worker(page, f"{pwa_server.url}gallery/{SLUG}/")
    page.get_by_role("button", name="Embed").click()
    snippet = page.locator(".mplat-embed__code").input_value()
    assert f'src="{pwa_server.url}apps/{SLUG}.html"' in snippet
    (partner.folder / "index.html").write_text(
        f"<!doctype html><title>Partner portfolio</title><h1>Our partner's demo</h1>\n{snippet}\n"
    )
    # Another port: another origin, named in the build's embed_origins.
    assert partner.server.url != pwa_server.url
    host = context.new_page()
    host.goto(partner.server.url)
    frame = host.wait_for_selector("iframe").content_frame()
    assert frame is not None
    frame.get_by_text(PRECOMPUTED_TEXT).wait_for(timeout=60_000)
    frame.wait_for_selector("html[data-mplat-kernel=ready]", state="attached", timeout=BOOT_TIMEOUT_MS)
    before = computed_outputs(frame)
    move_first_slider(frame)
    assert "Energy today: 30.0 kWh" in wait_for_change(frame, before)
    assert guard.external == []
