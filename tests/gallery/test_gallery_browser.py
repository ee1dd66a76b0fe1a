"""The gallery in Chromium: sub-path serving, touch tag filter, embed snippet, brand inside the notebooks,
load failures, analytics."""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e.browser import (
    OriginGuard,
    computed_outputs,
    move_first_slider,
    notebook_frame,
    wait_for_change,
    wait_for_kernel,
)
from e2e.sitebuild import build_site
from playwright.sync_api import Browser, BrowserContext

from mplat.gallery.preview import SiteServer
from mplat.gallery.thumbnails import SNAPSHOT_SCRIPT

REPO_ROOT = Path(__file__).resolve().parents[2]


class EventSink:
    """A local stand-in for the analytics endpoint: records every event posted to it."""

    def __init__(self) -> None:
        events: list[dict] = []
        self.events = events

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                events.append(json.loads(body))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/event"

    def names(self) -> set[str]:
        return {e["name"] for e in self.events}

    def wait_for(self, names: set[str], timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while not names <= self.names():
            assert time.monotonic() < deadline, f"events received: {self.events}"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def sink() -> Iterator[EventSink]:
    s = EventSink()
    yield s
    s.httpd.shutdown()


@pytest.fixture(scope="module")
def analytics_site(shared_project: Callable[..., Path], sink: EventSink) -> Iterator[SiteServer]:
    options = (
        "      thumbnails_browser: ''\n"
        "      support_email: help@demos.example\n"
        "      analytics_domain: demos.example\n"
        f"      analytics_endpoint: {sink.url}\n"
    )
    project = shared_project(["good_demo", "raises_on_load"], options)
    result = build_site(project, project / "site")
    assert result.returncode == 0, result.stderr
    server = SiteServer(project / "site").start()
    yield server
    server.stop()


def test_analytics_sends_pageview_loaded_and_interaction(
    analytics_site: SiteServer, sink: EventSink, context: BrowserContext
) -> None:
    page = context.new_page()
    # A query string, a fragment and a referrer path that must never reach the analytics endpoint.
    page.goto(
        f"{analytics_site.url}gallery/good-demo/?email=someone@corp.example#token=s3cret",
        referer="http://127.0.0.1:9/private/prospect-list?id=42",
    )
    frame = notebook_frame(page)
    wait_for_kernel(frame)
    before = computed_outputs(frame)
    move_first_slider(frame)
    wait_for_change(frame, before)
    sink.wait_for({"pageview", "notebook-loaded", "notebook-interaction"})
    loaded = [e for e in sink.events if e["name"] == "notebook-loaded"]
    assert loaded[0]["domain"] == "demos.example" and loaded[0]["props"]["slug"] == "good-demo"
    for event in sink.events:
        assert event["url"] in (
            f"{analytics_site.url}gallery/good-demo/",
            f"{analytics_site.url}apps/good-demo.html",
        )
        assert event["referrer"] in (None, "http://127.0.0.1:9", analytics_site.url.rstrip("/"))
    sent = json.dumps(sink.events)
    assert "someone" not in sent and "s3cret" not in sent and "prospect" not in sent


def test_notebook_that_throws_shows_friendly_message_with_support_address(
    analytics_site: SiteServer, sink: EventSink, context: BrowserContext
) -> None:
    page = context.new_page()
    page.goto(f"{analytics_site.url}apps/raises-on-load.html")
    message = page.locator(".mplat-load-failed")
    message.wait_for(timeout=240_000)
    assert "could not be loaded" in message.inner_text()
    assert page.locator(".mplat-load-failed a[href='mailto:help@demos.example']").count() == 1
    sink.wait_for({"notebook-error"})


def test_site_copied_into_a_portfolio_works_under_a_sub_path(
    built_site: Path, tmp_path: Path, context: BrowserContext, guard: OriginGuard
) -> None:
    public = tmp_path / "portfolio" / "public"
    script = REPO_ROOT / "scripts" / "copy-to-portfolio"
    done = subprocess.run(
        [sys.executable, str(script), str(public / "demos"), "--site", str(built_site)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "copied" in done.stdout
    server = SiteServer(public).start()
    try:
        page = context.new_page()
        page.goto(f"{server.url}demos/gallery/")
        page.locator(".mplat-card__link").first.click()
        page.wait_for_url("**/demos/gallery/*/")
        frame = notebook_frame(page)
        wait_for_kernel(frame)
        before = computed_outputs(frame)
        move_first_slider(frame)
        wait_for_change(frame, before)
        assert guard.external == []
        assert all("/demos/" in url for url in guard.requests)
        assert not any("api/event" in url for url in guard.requests), (
            "analytics is off but a request was made"
        )
    finally:
        server.stop()


def test_tag_filter_works_on_touch_and_embed_snippet_has_absolute_url(
    site_server: SiteServer, chromium: Browser
) -> None:
    context = chromium.new_context(has_touch=True, is_mobile=True, viewport={"width": 390, "height": 844})
    try:
        # Block the notebooks themselves: this test is about the gallery page chrome.
        context.route(
            "**/apps/*.html", lambda route: route.fulfill(body="<html></html>", content_type="text/html")
        )
        page = context.new_page()
        page.goto(f"{site_server.url}gallery/")
        cards = page.locator(".mplat-card")
        total = cards.count()
        tag_button = page.locator(".mplat-filter__tag[data-tag]:not([data-tag=''])").first
        tag = tag_button.get_attribute("data-tag")
        box = tag_button.bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44, "touch target smaller than 44 px"
        tag_button.tap()
        visible = [c for c in cards.all() if c.is_visible()]
        assert 0 < len(visible) <= total
        assert all(tag in (c.get_attribute("data-tags") or "").split("|") for c in visible)
        page.locator(".mplat-filter__tag[data-tag='']").tap()
        assert sum(c.is_visible() for c in cards.all()) == total

        slug = page.locator(".mplat-card").first.get_attribute("data-slug")
        page.goto(f"{site_server.url}gallery/{slug}/")
        page.locator(".mplat-embed-toggle").tap()
        snippet = page.locator(".mplat-embed__code").input_value()
        assert snippet.startswith(f'<iframe src="{site_server.url}apps/{slug}.html"')
        assert 'title="' in snippet and "height:720px" in snippet
    finally:
        context.close()


def _rgb(css_colour: str) -> tuple[int, ...]:
    """`rgb(212, 168, 67)` or `color(srgb 0.83 0.66 0.26)` (what color-mix() computes to) as 0-255 ints."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css_colour.split("(", 1)[1])][:3]
    scale = 255 if css_colour.startswith("color(") else 1
    return tuple(round(n * scale) for n in numbers)


def test_notebooks_wear_the_brand_inside_marimos_ui_elements(
    site_server: SiteServer, context: BrowserContext, guard: OriginGuard
) -> None:
    """Black surfaces and gold sliders, also inside the shadow roots where marimo renders its inputs."""
    context.add_init_script(SNAPSHOT_SCRIPT)  # the build-time outputs show the inputs: no need to boot Python
    page = context.new_page()
    page.goto(f"{site_server.url}apps/solar-calculator.html")
    thumb = page.locator("[role=slider]").first
    thumb.wait_for()
    seen = thumb.evaluate(
        """(thumb) => {
          const range = thumb.parentElement.parentElement.querySelector("span.absolute");
          const surface = thumb.closest(".marimo");
          return {
            range: getComputedStyle(range).backgroundColor,
            thumbBorder: getComputedStyle(thumb).borderTopColor,
            surface: getComputedStyle(surface).getPropertyValue("--background").trim(),
            page: getComputedStyle(document.body).backgroundColor,
            fontPx: parseFloat(getComputedStyle(document.body).fontSize),
            inputHeight: thumb.getRootNode().host.getBoundingClientRect().height,
          };
        }"""
    )
    gold = (212, 168, 67)
    assert _rgb(seen["range"]) == gold and _rgb(seen["thumbBorder"]) == gold, seen
    assert seen["surface"] == "#000" and _rgb(seen["page"]) == (0, 0, 0), seen
    assert seen["fontPx"] >= 16 and seen["inputHeight"] >= 44, seen
    assert guard.external == []
