"""A new deployment: the open page is offered the update once the new version has downloaded what changed;
it takes over only when accepted; pages of the old build keep getting the old build's files; the runtime is
not downloaded again; files only the old build needed leave the cache once no old page is open."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from e2e.browser import computed_outputs, notebook_frame, wait_for_kernel
from playwright.sync_api import Browser, Page

from .support import (
    CACHED_HASHES_JS,
    CHANGED_SLUG,
    CHANGED_TEXT,
    CONTROLLED_JS,
    Builds,
    RecordingServer,
    publish,
    read_manifest,
)

pytestmark = pytest.mark.xdist_group("offline")

DOWNLOAD_TIMEOUT_MS = 600_000  # ~54 MB through the worker, which hashes each file, on a shared machine
APP_TEXT_JS = "(path) => fetch(path).then((r) => r.text())"


def _wait_for_cache(page: Page, predicate, timeout_s: float = 120) -> set[str]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while True:
        cached = set(page.evaluate(CACHED_HASHES_JS))
        if predicate(cached) or time.monotonic() > deadline:
            return cached
        time.sleep(0.5)


def test_update_downloads_only_changed_files_waits_for_consent_and_prunes(
    offline_builds: Builds,
    chromium: Browser,
    guard,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    a, b = read_manifest(offline_builds.a), read_manifest(offline_builds.b)
    changed = {e.path for e in b.entries if e.sha not in a.hashes()}
    only_a = a.hashes() - b.hashes()
    assert f"apps/{CHANGED_SLUG}.html" in changed and only_a

    live = tmp_path / "live"
    publish(offline_builds.a, live)
    server = RecordingServer(live).start()
    context = chromium.new_context()
    guard.attach(context)
    try:
        # Build A, made available offline.
        page = context.new_page()
        page.goto(f"{server.url}gallery/")
        page.get_by_role("button", name="Make available offline").click()
        page.get_by_role("button", name="Available offline").wait_for(timeout=DOWNLOAD_TIMEOUT_MS)
        assert a.hashes() <= _wait_for_cache(page, lambda c: a.hashes() <= c)
        old_page = context.new_page()  # another page of build A, left open through the update
        old_page.goto(server.url)
        old_page.evaluate(CONTROLLED_JS)

        # Build B is published; the open page looks for it (what it does every 15 minutes and on focus).
        publish(offline_builds.b, live)
        server.requests.clear()
        page.evaluate("window.mplatOffline.checkForUpdate()")
        prompt = page.get_by_role("button", name="Update available — reload")
        prompt.wait_for(timeout=DOWNLOAD_TIMEOUT_MS)
        downloaded = {p.lstrip("/") for p in server.requests} - {"sw.js"}
        assert downloaded == changed, "the update must download exactly the files whose content changed"
        # Waiting: nothing of build B reaches a page until the user accepts.
        assert CHANGED_TEXT[1] not in page.evaluate(APP_TEXT_JS, f"../apps/{CHANGED_SLUG}.html")

        with page.expect_navigation():
            prompt.click()
        page.evaluate(CONTROLLED_JS)
        assert CHANGED_TEXT[1] in page.evaluate(APP_TEXT_JS, f"../apps/{CHANGED_SLUG}.html")
        # The page of build A still open gets build A's files, from the cache.
        assert CHANGED_TEXT[1] not in old_page.evaluate(APP_TEXT_JS, f"apps/{CHANGED_SLUG}.html")
        assert only_a <= set(page.evaluate(CACHED_HASHES_JS)), "pruned while a page of build A was open"

        # Once no page of build A is open, files only build A needed leave the cache.
        old_page.close()
        page.reload()
        cached = _wait_for_cache(page, lambda c: not (only_a & c))
        assert not (only_a & cached), f"{len(only_a & cached)} files only build A needed are still cached"
        assert b.hashes() <= cached, "after the update everything is still available offline"

        # The changed notebook runs with its new content; the runtime was not downloaded again.
        page.goto(f"{server.url}gallery/{CHANGED_SLUG}/")
        frame = notebook_frame(page)
        wait_for_kernel(frame)
        assert any(CHANGED_TEXT[1] in text for text in computed_outputs(frame))
        unchanged = {e.path for e in b.entries if e.sha in a.hashes()}
        again = sorted({p.lstrip("/") for p in server.requests} & unchanged)
        assert again == [], f"unchanged files downloaded again: {again[:10]}"
        assert not [p for p in server.requests if p.startswith("/runtime/")]
        assert guard.external == []
    finally:
        context.close()
        server.stop()
