"""Instant first paint, the Save-Data / slow-link gate, the idle pre-warm and the iOS install hint, in Chromium.

`context` (tests/e2e/fixtures.py) records every request, workers' and the service worker's included, and
blocks any that leaves 127.0.0.1.
"""

from __future__ import annotations

import time

import pytest
from e2e.browser import BOOT_TIMEOUT_MS, OriginGuard, computed_outputs, move_first_slider, wait_for_change
from playwright.sync_api import Browser, BrowserContext, Frame, Page, Route

from mplat.gallery.preview import SiteServer

from .conftest import PRECOMPUTED_TEXT, SLUG, connection_script

pytestmark = pytest.mark.xdist_group("pwa")

# After the offline worker took control: time enough for any background download of the opened
# notebook's files to have started (the page asks for it once the notebook ran, or after 120 s; the
# worker itself downloads nothing unasked on a metered link).
QUIET_S = 8
IPAD_SAFARI = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)

POINTER_EVENTS = "getComputedStyle(document.querySelector('marimo-ui-element')).pointerEvents"


def _python_downloads(urls: list[str]) -> list[str]:
    # A large wheel boots from its slice (<wheel>.boot.zip): that counts as downloading Python too.
    return [u for u in urls if u.endswith((".whl", ".boot.zip", "pyodide.asm.wasm", "python_stdlib.zip"))]


def _open_notebook(page: Page, server: SiteServer) -> Frame:
    page.goto(f"{server.url}gallery/{SLUG}/")
    frame = page.wait_for_selector("iframe.mplat-notebook__frame", timeout=30_000).content_frame()
    assert frame is not None
    return frame


def _wait_until_interactive(frame: Frame) -> None:
    # Pre-computed outputs and the slider are on screen long before Python: wait for the gate's signal.
    frame.wait_for_selector("html[data-mplat-kernel=ready]", state="attached", timeout=BOOT_TIMEOUT_MS)


def test_notebook_page_shows_precomputed_outputs_before_python_boots(
    pwa_server: SiteServer, context: BrowserContext, guard: OriginGuard
) -> None:
    blocked: list[str] = []

    def hold_runtime(route: Route) -> None:  # Python cannot boot at all: whatever shows was pre-computed
        blocked.append(route.request.url)
        route.abort()

    context.route("**/runtime/**", hold_runtime)
    page = context.new_page()
    frame = _open_notebook(page, pwa_server)
    frame.get_by_text(PRECOMPUTED_TEXT).wait_for(timeout=60_000)
    assert PRECOMPUTED_TEXT in computed_outputs(frame)
    assert frame.locator("[role=slider]").count() == 1
    assert frame.evaluate("document.documentElement.dataset.mplatKernel") != "ready"
    # The pre-computed slider cannot be moved yet: a change would be lost before Python runs.
    assert frame.evaluate(POINTER_EVENTS) == "none"
    assert blocked, "the page did not even try to boot Python (gate closed on a fast link?)"
    assert guard.external == []


def test_notebook_page_paints_outputs_before_marimo_has_started(
    pwa_server: SiteServer, context: BrowserContext, guard: OriginGuard
) -> None:
    # Neither marimo's page scripts nor Python can load: the page draws the stored outputs by itself.
    context.route("**/apps/assets/**", lambda route: route.abort())
    context.route("**/runtime/**", lambda route: route.abort())
    page = context.new_page()
    page.goto(f"{pwa_server.url}gallery/{SLUG}/")
    snapshot = page.locator(".mplat-notebook .mplat-snapshot")
    snapshot.get_by_text(PRECOMPUTED_TEXT).wait_for(timeout=30_000)
    assert guard.external == []


def test_snapshot_gives_way_to_the_notebook(pwa_server: SiteServer, context: BrowserContext) -> None:
    context.route("**/runtime/**", lambda route: route.abort())  # marimo renders; Python never comes
    page = context.new_page()
    frame = _open_notebook(page, pwa_server)
    frame.get_by_text(PRECOMPUTED_TEXT).wait_for(timeout=60_000)
    page.locator(".mplat-snapshot").wait_for(state="detached", timeout=10_000)


@pytest.mark.parametrize(
    "connection", [{"save_data": True}, {"effective_type": "3g"}], ids=["save-data", "3g"]
)
def test_slow_or_metered_link_shows_outputs_and_downloads_nothing_until_asked(
    pwa_server: SiteServer, context: BrowserContext, guard: OriginGuard, connection: dict
) -> None:
    context.add_init_script(connection_script(**connection))
    page = context.new_page()
    frame = _open_notebook(page, pwa_server)
    frame.get_by_text(PRECOMPUTED_TEXT).wait_for(timeout=60_000)
    button = frame.get_by_role("button", name="Run interactive")
    button.wait_for()
    assert page.evaluate("document.documentElement.dataset.mplatGate") == "waiting"  # told to the page too
    # Give the offline worker its chance: it takes control, is told a notebook was opened, waits, fetches.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=120_000)
    time.sleep(QUIET_S)
    assert _python_downloads(guard.requests) == [], "Python was downloaded before 'Run interactive'"
    assert not any("/apps/assets/worker-" in u for u in guard.requests)
    assert guard.external == []


def test_run_interactive_boots_python_in_place(
    pwa_server: SiteServer, context: BrowserContext, guard: OriginGuard
) -> None:
    context.add_init_script(connection_script(save_data=True))
    page = context.new_page()
    frame = _open_notebook(page, pwa_server)
    frame.get_by_role("button", name="Run interactive").click()
    _wait_until_interactive(frame)
    assert any("marimo_base" in u for u in _python_downloads(guard.requests))
    assert frame.get_by_role("button", name="Run interactive").count() == 0
    assert frame.evaluate(POINTER_EVENTS) == "auto"
    before = computed_outputs(frame)
    assert PRECOMPUTED_TEXT in before
    move_first_slider(frame)
    assert "Energy today: 30.0 kWh" in wait_for_change(frame, before)
    # The choice holds for the visit: the next notebook page boots without asking again.
    frame = _open_notebook(page, pwa_server)
    frame.wait_for_selector("html[data-mplat-gate=open]", state="attached")
    assert guard.external == []


def test_fast_link_boots_at_once_without_asking(
    pwa_server: SiteServer, context: BrowserContext, guard: OriginGuard
) -> None:
    page = context.new_page()
    with page.expect_request("**/runtime/pyodide.asm.wasm", timeout=120_000):
        frame = _open_notebook(page, pwa_server)
    assert frame.evaluate("document.documentElement.dataset.mplatGate") == "open"
    assert frame.get_by_role("button", name="Run interactive").count() == 0


def test_gallery_prewarms_the_runtime_when_idle(
    pwa_server: SiteServer, context: BrowserContext, guard: OriginGuard
) -> None:
    page = context.new_page()
    page.goto(f"{pwa_server.url}gallery/")
    page.wait_for_selector("html[data-mplat-prewarm=done]", state="attached", timeout=180_000)
    fetched = guard.requests
    assert any(u.endswith("/runtime/pyodide.asm.wasm") for u in fetched)
    assert any("marimo_base" in u and u.endswith(".whl") for u in fetched)
    assert any("/apps/assets/index-" in u for u in fetched), "marimo's page script was not pre-warmed"
    assert guard.external == []


def test_gallery_does_not_prewarm_on_save_data(
    pwa_server: SiteServer, context: BrowserContext, guard: OriginGuard
) -> None:
    context.add_init_script(connection_script(save_data=True))
    page = context.new_page()
    page.goto(f"{pwa_server.url}gallery/")
    page.wait_for_selector("html[data-mplat-prewarm=skipped]", state="attached", timeout=30_000)
    time.sleep(QUIET_S)
    assert _python_downloads(guard.requests) == []


def _ipad(chromium: Browser, guard: OriginGuard) -> BrowserContext:
    ctx = chromium.new_context(
        user_agent=IPAD_SAFARI, viewport={"width": 820, "height": 1180}, has_touch=True
    )
    guard.attach(ctx)
    return ctx


def test_install_hint_shows_on_ios_safari_and_stays_dismissed(
    pwa_server: SiteServer, chromium: Browser, guard: OriginGuard
) -> None:
    ctx = _ipad(chromium, guard)
    try:
        page = ctx.new_page()
        page.goto(f"{pwa_server.url}gallery/")
        hint = page.locator(".mplat-install-hint")
        hint.wait_for(timeout=30_000)
        assert "Add to Home Screen" in hint.inner_text()
        hint.get_by_role("button", name="Dismiss").click()
        assert hint.count() == 0
        page.goto(f"{pwa_server.url}gallery/{SLUG}/")
        page.wait_for_load_state("load")
        assert page.locator(".mplat-install-hint").count() == 0
    finally:
        ctx.close()


def test_install_hint_not_shown_elsewhere(pwa_server: SiteServer, context: BrowserContext) -> None:
    page = context.new_page()  # desktop Chromium
    page.goto(f"{pwa_server.url}gallery/")
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.mplatPwa !== undefined")
    assert page.locator(".mplat-install-hint").count() == 0
