"""Production's headers in Chromium, first visit (no service worker): a portfolio on another origin may embed a
notebook only when that origin is configured; a visitor's HTTP cache never mixes two builds."""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Frame, Page, Response

from mplat.gallery.preview import SiteServer
from mplat.gallery.site_headers import SitePolicy

from .browser import (
    OriginGuard,
    computed_outputs,
    move_first_slider,
    wait_for_change,
    wait_for_kernel,
)
from .production import cloudfront_headers, origin

SLUG = "solar-calculator"
REFUSED_FRAME = "chrome-error://chromewebdata/"  # where Chromium sends a frame its CSP refused


def _embedded(page: Page) -> Frame:
    frame = page.wait_for_selector("iframe", timeout=30_000).content_frame()
    assert frame is not None
    return frame


def test_an_embed_works_from_a_configured_origin_and_is_refused_from_another(
    built_site: Path, chromium: Browser, tmp_path: Path
) -> None:
    portfolios = {}
    for name in ("configured", "stranger"):
        folder = tmp_path / name
        folder.mkdir()
        # Each on its own port (its own origin), sending no headers of its own: a plain portfolio site.
        portfolios[name] = SiteServer(folder, headers={}).start()
    policy = SitePolicy(embed_origins=(origin(portfolios["configured"].url),))
    site = SiteServer(built_site, headers=cloudfront_headers(policy)).start()
    for name in portfolios:
        (tmp_path / name / "index.html").write_text(
            f"<!doctype html><title>Portfolio</title><h1>{name}</h1>"
            f'<iframe src="{site.url}apps/{SLUG}.html" style="width:100%;height:720px;border:0" '
            'allow="fullscreen; clipboard-write"></iframe>'
        )
    guard = OriginGuard()
    context = guard.attach(chromium.new_context(service_workers="block"))
    try:
        refused = context.new_page()
        refused.goto(portfolios["stranger"].url)
        frame = _embedded(refused)
        deadline = time.monotonic() + 30
        while frame.url != REFUSED_FRAME:
            assert time.monotonic() < deadline, f"the frame was not refused: {frame.url}"
            time.sleep(0.2)

        page = context.new_page()
        page.goto(portfolios["configured"].url)
        frame = _embedded(page)
        wait_for_kernel(frame)
        before = computed_outputs(frame)
        move_first_slider(frame)
        wait_for_change(frame, before)
        assert guard.external == []
    finally:
        context.close()
        site.stop()
        for server in portfolios.values():
            server.stop()


def _link_tree(source: Path, dest: Path) -> None:
    """A copy of a built site made of hard links: cheap, and files are replaced, never written through."""
    shutil.copytree(source, dest, copy_function=os.link)


def _build_b(live: Path) -> tuple[str, str]:
    """Build B: build A whose browser library moved to another content-addressed folder (its lockfile,
    a fixed name, changed; A's folder is gone). A page running B with A's lockfile asks for a wheel that
    is not there. Returns A's and B's wheel paths."""
    lock_path = live / "runtime" / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    package = lock["packages"]["mplat-browser-libs"]
    old = package["file_name"]
    new = "packages/" + "f" * 16 + "/" + old.rsplit("/", 1)[1]
    (live / "runtime" / new).parent.mkdir(parents=True)
    os.link(live / "runtime" / old, live / "runtime" / new)
    shutil.rmtree((live / "runtime" / old).parent)
    package["file_name"] = new
    _replace(lock_path, json.dumps(lock, indent=1, sort_keys=True))
    for page in (live / "apps").glob("*.html"):  # the pages' boot plans name the runtime's files too
        text = page.read_text(encoding="utf-8")
        if old in text:
            _replace(page, text.replace(old, new))
    return f"/runtime/{old}", f"/runtime/{new}"


def _replace(path: Path, text: str) -> None:
    path.unlink()  # a hard link to build A's file: replace it, do not write through
    path.write_text(text, encoding="utf-8")


def test_a_client_without_the_worker_never_mixes_two_builds_from_its_http_cache(
    built_site: Path, chromium: Browser, tmp_path: Path
) -> None:
    live = tmp_path / "live"
    _link_tree(built_site, live)
    server = SiteServer(live).start()  # what `make preview` serves: the table's Cache-Control included
    statuses: dict[str, list[int]] = {}
    lockfiles: list[Response] = []  # the runtime lockfiles the client used (from the server or its cache)
    guard = OriginGuard()
    context = guard.attach(chromium.new_context(service_workers="block"))  # a real HTTP cache, no worker

    def record(response: Response) -> None:
        statuses.setdefault(response.url, []).append(response.status)
        if response.url.endswith("/runtime/pyodide-lock.json"):
            lockfiles.append(response)

    context.on("response", record)
    try:
        page = context.new_page()
        page.goto(f"{server.url}apps/{SLUG}.html")
        wait_for_kernel(page)  # build A ran: its runtime is in the HTTP cache

        # Build B replaces build A on the same origin (as publish-site does), then the visitor reloads.
        build_b = tmp_path / "b"
        _link_tree(built_site, build_b)
        old_wheel, new_wheel = _build_b(build_b)
        live.rename(tmp_path / "a")
        build_b.rename(live)

        statuses.clear()
        lockfiles.clear()
        page.goto(f"{server.url}apps/{SLUG}.html")
        wait_for_kernel(page)  # build B runs: every fixed-name file came from B
        before = computed_outputs(page)
        move_first_slider(page)
        wait_for_change(page, before)
        used = [r.body() for r in lockfiles]
        assert used and all(new_wheel.removeprefix("/runtime/").encode() in body for body in used), (
            "build B's page ran with build A's lockfile from the HTTP cache"
        )
        assert any(url.endswith(new_wheel) for url in statuses)
        assert not any(url.endswith(old_wheel) for url in statuses), "build A's runtime was used"
        assert guard.external == []
    finally:
        context.close()
        server.stop()


@pytest.mark.parametrize(
    "path", ["runtime/pyodide-lock.json", "runtime/pyodide.asm.wasm", "runtime/python_stdlib.zip"]
)
def test_fixed_name_runtime_files_are_revalidated(site_server: SiteServer, path: str) -> None:
    with urllib.request.urlopen(f"{site_server.url}{path}") as response:
        assert response.headers["Cache-Control"] == "no-cache"
        for name, value in cloudfront_headers().items():
            assert response.headers[name] == value
