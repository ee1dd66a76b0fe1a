"""Acceptance in Chromium on the real demo site: "Make available offline" on /gallery/, then with the web
server stopped every notebook opens, runs and reacts to its slider; nothing ever leaves 127.0.0.1. The server
notebooks' cards say they need a connection, and nothing is ever asked of the server tier."""

from __future__ import annotations

import re
from pathlib import Path

from e2e.browser import computed_outputs, move_first_slider, notebook_frame, wait_for_change, wait_for_kernel
from playwright.sync_api import BrowserContext

from mplat.gallery.discover import discover
from mplat.gallery.preview import SiteServer

from .support import CACHED_HASHES_JS, read_manifest

REPO_ROOT = Path(__file__).resolve().parents[2]
SLUGS = [nb.slug for nb in discover(REPO_ROOT / "notebooks" / "demos")]
SERVER_SLUGS = [nb.slug for nb in discover(REPO_ROOT / "notebooks" / "analysis")]
DOWNLOAD_TIMEOUT_MS = 600_000


def _card_states(page, tier: str = "browser") -> dict[str, str]:  # type: ignore[no-untyped-def]
    return page.locator(f"li.mplat-card[data-tier={tier}]").evaluate_all(
        "cards => Object.fromEntries(cards.map(c => [c.querySelector('a').getAttribute('href'), c.dataset.offline]))"
    )


def test_gallery_offline_in_chromium_every_notebook_runs_with_the_server_stopped(
    built_site: Path,
    context: BrowserContext,
    guard,  # type: ignore[no-untyped-def]
    demo_server_port: int,
) -> None:
    manifest = read_manifest(built_site)
    server = SiteServer(built_site).start()  # our own server: this test stops it
    try:
        page = context.new_page()
        page.goto(f"{server.url}gallery/")
        page.locator(".mplat-offline[data-state]").wait_for()
        assert set(_card_states(page).values()) == {"online"}, "nothing but the shell is cached yet"
        page.get_by_role("button", name="Make available offline").click()
        progress = page.locator(".mplat-offline__progress")
        progress.filter(has_text=re.compile(r"^[\d.]+ [kMG]B of [\d.]+ [kMG]B$")).wait_for()
        page.get_by_role("button", name="Available offline").wait_for(timeout=DOWNLOAD_TIMEOUT_MS)
        total_mb = f"{manifest.total_bytes() / 1e6:.1f} MB"
        assert progress.inner_text() == f"{total_mb} of {total_mb}"
        assert "Storage:" in page.locator(".mplat-offline__storage").inner_text()
        assert manifest.hashes() <= set(page.evaluate(CACHED_HASHES_JS))
    finally:
        server.stop()

    page.reload()
    page.locator(".mplat-offline[data-state=ready]").wait_for()
    states = _card_states(page)
    assert len(states) == len(SLUGS) and set(states.values()) == {"ready"}
    # Server notebooks: their previews were stored, but running one needs the server.
    server_cards = page.locator("li.mplat-card[data-tier=server]")
    assert server_cards.count() == len(SERVER_SLUGS)
    assert set(_card_states(page, "server").values()) == {"online"}
    assert set(server_cards.locator(".mplat-offline-badge").all_inner_texts()) == {"Needs a connection"}
    for slug in SLUGS:
        page.goto(f"{server.url}gallery/{slug}/")
        assert page.evaluate("crossOriginIsolated"), "the worker's COOP/COEP headers isolate the page"
        frame = notebook_frame(page)
        wait_for_kernel(frame)
        before = computed_outputs(frame)
        assert any(before), f"{slug}: no computed output offline"
        move_first_slider(frame)
        wait_for_change(frame, before)
    assert guard.external == [], f"requests left 127.0.0.1: {guard.external[:5]}"
    to_server = [url for url in guard.requests if f":{demo_server_port}/" in url]
    assert to_server == [], f"the offline download asked the server tier for {to_server[:3]}"
