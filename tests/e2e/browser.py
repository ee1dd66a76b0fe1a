"""Driving Debian's Chromium with Playwright, and guarding the origin.

`OriginGuard` sees every request of a browser context — pages, workers and service workers — records
those that leave 127.0.0.1 and blocks them, so a test can assert that nothing left the origin.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

from playwright.sync_api import BrowserContext, Frame, Page, Request, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from mplat.gallery.thumbnails import CHROMIUM_ARGS as CHROMIUM_ARGS  # one list for the build and the tests
from mplat.gallery.thumbnails import wait_until_settled

CHROMIUM = "/usr/bin/chromium"  # Debian's (`make browsers`); Playwright's own download is not used
BOOT_TIMEOUT_MS = 240_000  # Pyodide boots in ~8 s alone; CI's 2 cores run other tests beside it


@dataclass
class OriginGuard:
    """Records every request of a browser context and blocks those that leave 127.0.0.1.

    Only leaving requests are routed (and aborted); the rest are recorded from the context's `request`
    events, which include workers' and the service worker's requests. Routing every request through this
    process instead made each one wait on it: a notebook's 800-file background download took minutes.
    """

    allowed_prefix: str = "http://127.0.0.1:"
    external: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> BrowserContext:
        leaving = re.compile(rf"^(?!{re.escape(self.allowed_prefix)}|data:|blob:)")
        context.route(leaving, self._block)
        context.on("request", self._record)
        return context

    def _block(self, route: Route) -> None:
        self.external.append(route.request.url)
        route.abort()

    def _record(self, request: Request) -> None:
        if request.url.startswith(self.allowed_prefix):
            self.requests.append(request.url)


# JS: texts of marimo output areas that hold no UI element (computed outputs only).
_OUTPUT_TEXTS = """() => [...document.querySelectorAll('.output-area')]
  .filter(e => !e.querySelector('marimo-slider, marimo-dropdown, marimo-number, marimo-file, [role=slider]'))
  .map(e => e.innerText.trim())"""


def notebook_frame(page: Page) -> Frame:
    """The notebook iframe of a /gallery/<slug>/ page (or the page itself for apps/<slug>.html)."""
    handle = page.wait_for_selector("iframe.mplat-notebook__frame", timeout=30_000)
    frame = handle.content_frame()
    assert frame is not None
    return frame


def wait_for_kernel(frame: Frame | Page) -> None:
    """Python has run the notebook once: the page says so, and the outputs stopped changing.

    Outputs computed at build time are on screen before Python boots, so a visible slider proves nothing:
    the app page sets `data-mplat-kernel="ready"` on <html> after marimo's first completed run.
    """
    settled = frame.locator("html[data-mplat-kernel=ready], html[data-mplat-kernel=failed]")
    try:
        settled.wait_for(state="attached", timeout=BOOT_TIMEOUT_MS)
    except PlaywrightTimeoutError as late:
        raise AssertionError(
            f"{frame.url}: the kernel is not ready after {BOOT_TIMEOUT_MS / 1000:.0f} s; {boot_state(frame)}"
        ) from late
    assert frame.evaluate("document.documentElement.dataset.mplatKernel") == "ready", (
        f"{frame.url}: Python failed to start; {boot_state(frame)}"
    )
    frame.locator("[role=slider]").first.wait_for(timeout=BOOT_TIMEOUT_MS)
    wait_until_settled(frame, time.monotonic() + BOOT_TIMEOUT_MS / 1000)


def boot_state(frame: Frame | Page) -> str:
    """What the page says of its boot (its data-mplat-* attributes) and any error it shows, for a failure."""
    return frame.evaluate(
        """() => JSON.stringify({
            ...Object.fromEntries(Object.entries(document.documentElement.dataset).filter(([k]) => k.startsWith("mplat"))),
            error: (document.querySelector(".mplat-load-failed") || {}).innerText || null,
        })"""
    )


def boot_plan_of(html: str) -> dict:
    """The boot plan a built notebook page carries (window.MPLAT_BOOT: controller.py)."""
    return json.loads(html.split("window.MPLAT_BOOT = ", 1)[1].split(";</script>", 1)[0])


def python_started(frame: Frame | Page) -> str | None:
    """How the notebook's Python started: "made-snapshot", "restored" or "started" (controller.js)."""
    return frame.evaluate("document.documentElement.getAttribute('data-mplat-python')")


def session_handover(frame: Frame | Page) -> str | None:
    """Whether the session the controller started ahead was the page's: "ahead", or "discarded" when the page
    asked for another (controller.js, startAhead); None when none was started ahead."""
    return frame.evaluate("document.documentElement.getAttribute('data-mplat-session')")


def computed_outputs(frame: Frame | Page) -> list[str]:
    return frame.evaluate(_OUTPUT_TEXTS)


def move_first_slider(frame: Frame | Page, steps: int = 2) -> None:
    slider = frame.locator("[role=slider]").first
    slider.focus()
    for _ in range(steps):
        slider.press("ArrowRight")


def wait_for_change(
    frame: Frame | Page, before: list[str], timeout_s: float = 60, settle_s: float = 1.5
) -> list[str]:
    """The outputs after a slider move, once they differ from `before` and stopped changing.

    Each key press sends its own value to the kernel, so two presses give two runs: returning at the first
    difference would catch the intermediate result (the CI failure of 'Energy today: 24.0' for 30.0).
    """
    deadline = time.monotonic() + timeout_s
    last: list[str] | None = None
    stable_since = 0.0
    while time.monotonic() < deadline:
        now = computed_outputs(frame)
        busy = frame.locator(".marimo-output-loading, .marimo-output-stale").count() > 0
        if now != last or busy:
            last, stable_since = now, time.monotonic()
        elif now != before and time.monotonic() - stable_since >= settle_s:
            return now
        time.sleep(0.1)
    raise AssertionError(f"no computed output changed and settled after moving the slider; outputs: {last!r}")
