"""What the worker refuses: a page of an old build is never given a newer build's file under a fixed name (it
gets an error and the update prompt); "Make available offline" checks the storage estimate first and is
recorded only after a complete download."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e.browser import OriginGuard
from playwright.sync_api import Browser, BrowserContext

from .support import CHANGED_SLUG, CHANGED_TEXT, CONTROLLED_JS, Builds, RecordingServer, publish

pytestmark = pytest.mark.xdist_group("offline")

DOWNLOAD_TIMEOUT_MS = 600_000  # ~54 MB through the worker, which hashes each file, on a shared machine
FETCH_TEXT_JS = (
    "(url) => fetch(url).then((r) => r.text()).then((t) => 'got: ' + t, (e) => 'error: ' + e.name)"
)
# What "Make available offline" recorded (the worker's pins: `all` makes later versions keep everything).
PINS_JS = """async (url) => {
  const name = (await caches.keys()).find((n) => n.startsWith("mplat-meta "));
  const found = name && (await (await caches.open(name)).match(url));
  return found ? found.json() : null;
}"""
# The browser's storage estimate, replaced while `window.__quota` is set.
FAKE_QUOTA_SCRIPT = """
const realEstimate = StorageManager.prototype.estimate;
StorageManager.prototype.estimate = function () {
  return window.__quota ? Promise.resolve({ usage: 0, quota: window.__quota }) : realEstimate.call(this);
};
"""


@dataclass(frozen=True)
class LiveBuildA:
    folder: Path  # what the server serves: build A, until a test publishes build B over it
    server: RecordingServer
    context: BrowserContext  # a fresh profile whose requests off 127.0.0.1 are blocked


@pytest.fixture
def build_a(
    offline_builds: Builds, chromium: Browser, guard: OriginGuard, tmp_path: Path
) -> Iterator[LiveBuildA]:
    live = tmp_path / "live"
    publish(offline_builds.a, live)
    server = RecordingServer(live).start()
    context = chromium.new_context()
    guard.attach(context)
    try:
        yield LiveBuildA(live, server, context)
    finally:
        context.close()
        server.stop()


def test_a_page_of_an_old_build_gets_an_error_not_a_newer_file_and_the_update_prompt(
    build_a: LiveBuildA, offline_builds: Builds, guard: OriginGuard
) -> None:
    server, context, live = build_a.server, build_a.context, build_a.folder
    page = context.new_page()
    # The home page: build A's worker controls it, and nothing has cached the notebook's page (the
    # gallery page would pre-warm it).
    page.goto(server.url)
    page.evaluate(CONTROLLED_JS)

    publish(offline_builds.b, live)  # build B changed that page under the same name
    got = page.evaluate(FETCH_TEXT_JS, f"{server.url}apps/{CHANGED_SLUG}.html")
    assert got.startswith("error:"), "a page of build A was given build B's file"
    assert CHANGED_TEXT[1] not in got
    page.get_by_role("button", name="Update available — reload").wait_for(timeout=DOWNLOAD_TIMEOUT_MS)
    assert guard.external == []


def test_make_available_offline_checks_storage_first_and_records_only_a_complete_download(
    build_a: LiveBuildA, guard: OriginGuard
) -> None:
    server, context, live = build_a.server, build_a.context, build_a.folder
    context.add_init_script(FAKE_QUOTA_SCRIPT)
    pins_url = f"{server.url}__mplat__/meta/pins"
    page = context.new_page()
    page.goto(f"{server.url}gallery/")
    page.evaluate(CONTROLLED_JS)
    # The gallery pre-warms the runtime in the background (pwa.js): let it finish first.
    page.locator("html[data-mplat-prewarm=done]").wait_for(state="attached", timeout=DOWNLOAD_TIMEOUT_MS)
    button = page.get_by_role("button", name="Make available offline")
    message = page.locator(".mplat-offline__progress")

    # The device has 1 MB left: said in plain words, nothing downloaded, nothing recorded.
    page.evaluate("window.__quota = 1000000")
    server.requests.clear()
    button.click()
    page.locator(".mplat-offline[data-state=no-space]").wait_for()
    text = message.inner_text()
    assert (
        text.startswith("Not enough storage on this device: the demos need ") and " MB, only 1.0 MB " in text
    )
    assert not [p for p in server.requests if p.startswith(("/runtime/", "/apps/"))]
    assert not (page.evaluate(PINS_JS, pins_url) or {}).get("all")

    # Enough room, but a file cannot be fetched: the download is incomplete and is not recorded.
    page.evaluate("window.__quota = 0")
    (live / "apps" / "other-demo.html").unlink()  # not pre-warmed: still to download
    button.click()
    message.get_by_text("Download interrupted").wait_for(timeout=DOWNLOAD_TIMEOUT_MS)
    assert not (page.evaluate(PINS_JS, pins_url) or {}).get("all"), "recorded before it was complete"
    assert guard.external == []
