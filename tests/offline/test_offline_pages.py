"""Without a network, a page that is not cached shows the branded offline page; the worker's headers make
pages cross-origin isolated without breaking an embed in another site; `mkdocs serve` gets no worker and
removes one left by an earlier build on the same address."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.browser import computed_outputs, move_first_slider, notebook_frame, wait_for_change, wait_for_kernel
from e2e.fixtures import Partner
from playwright.sync_api import Browser, Route

from mplat.gallery.preview import SiteServer
from mplat.gallery.site_headers import read_headers_file
from mplat.gallery.thumbnails import SNAPSHOT_SCRIPT

from .support import CACHED_HASHES_JS, CONTROLLED_JS, Builds, read_manifest

pytestmark = pytest.mark.xdist_group("offline")

DELETE_CACHED_JS = """async (sha) => {
  const name = (await caches.keys()).find((n) => n.startsWith("mplat-content "));
  const cache = await caches.open(name);
  const key = (await cache.keys()).find((r) => r.url.endsWith("/" + sha));
  return key ? cache.delete(key) : false;
}"""


def test_uncached_page_offline_shows_the_offline_page(offline_builds: Builds, context) -> None:  # type: ignore[no-untyped-def]
    manifest = read_manifest(offline_builds.a).by_path()
    server = SiteServer(offline_builds.a).start()
    page = context.new_page()
    try:
        page.goto(server.url)
        page.evaluate(CONTROLLED_JS)  # installed: the shell (every page, style, icon) is cached
        # A page evicted from the cache (or never cached) while the network is gone:
        assert page.evaluate(DELETE_CACHED_JS, manifest["gallery/good-demo/index.html"].sha)
    finally:
        server.stop()

    for path in ("gallery/good-demo/", "no-such-page/"):
        response = page.goto(f"{server.url}{path}")
        assert response is not None and response.status == 503 and response.from_service_worker
        assert page.locator("h1").inner_text() == "You are offline"
        assert page.title() == "Offline · Test"
        items = page.locator(".mplat-offline-list li")
        assert items.all_inner_texts() == ["Good demo Needs a connection", "Other demo Needs a connection"]
        # Its links lead to the site's pages, not below the URL that failed.
        assert (
            page.locator(".mplat-offline-list a").first.evaluate("a => a.href")
            == f"{server.url}gallery/good-demo/"
        )
    # A cached page still opens offline.
    page.goto(f"{server.url}gallery/")
    page.locator(".mplat-offline[data-state]").wait_for()
    assert page.locator("li.mplat-card").count() == 2


def test_a_page_loaded_past_the_worker_is_taken_over_and_shows_the_offline_panel(
    offline_builds: Builds,
    context,  # type: ignore[no-untyped-def]
) -> None:
    """A hard reload (and a navigation that began while the worker was installing) loads the page without the
    worker, and no activation follows to claim it: the page asks the worker to take it over, and gets the
    gallery's offline panel as on any other visit."""
    server = SiteServer(offline_builds.a).start()
    try:
        page = context.new_page()
        page.goto(f"{server.url}gallery/")
        page.locator(".mplat-offline[data-state]").wait_for()
        cdp = context.new_cdp_session(page)
        cdp.send("Page.reload", {"ignoreCache": True})  # Shift+Reload: the page comes from the network
        page.wait_for_load_state()
        page.locator(".mplat-offline[data-state]").wait_for(timeout=30_000)
        assert page.evaluate("navigator.serviceWorker.controller !== null")
        assert page.locator(".mplat-offline-badge").count() == 2
    finally:
        server.stop()


def test_a_notebook_opened_once_runs_offline_and_only_its_files_were_fetched(
    offline_builds: Builds,
    context,  # type: ignore[no-untyped-def]
) -> None:
    entries = read_manifest(offline_builds.a).entries
    wanted = {e.sha for e in entries if e.group in ("shell", "common", "notebook:good-demo")}
    other = {e.sha for e in entries if e.group == "notebook:other-demo"} - wanted
    server = SiteServer(offline_builds.a).start()
    page = context.new_page()
    try:
        page.goto(f"{server.url}gallery/good-demo/")  # a first visit: no worker controls it yet
        wait_for_kernel(notebook_frame(page))
        # Once the notebook has run, the worker stores what the page loaded before it took control and
        # what the notebook may load later.
        deadline = time.monotonic() + 600  # ~50 MB through the worker, verified; CI runs tests beside it
        while not wanted <= set(page.evaluate(CACHED_HASHES_JS)):
            assert time.monotonic() < deadline, "the opened notebook's files were not all cached"
            time.sleep(1)
        assert not other & set(page.evaluate(CACHED_HASHES_JS)), "another notebook was downloaded unasked"
    finally:
        server.stop()

    page.reload()  # nothing answers but the worker
    frame = notebook_frame(page)
    wait_for_kernel(frame)
    before = computed_outputs(frame)
    move_first_slider(frame)
    wait_for_change(frame, before)


def test_worker_sends_the_sites_headers_and_an_embed_from_a_configured_origin_works(
    offline_builds: Builds, partner: Partner, chromium: Browser
) -> None:
    site = SiteServer(offline_builds.a).start()
    frame_url = f"{site.url}gallery/good-demo/"
    (partner.folder / "index.html").write_text(
        f'<!doctype html><title>Partner page</title><iframe id="demo" src="{frame_url}" width="900" height="600"></iframe>'
    )
    embedder = partner.server
    table = read_headers_file(offline_builds.a)
    assert table is not None and partner.origins[0] in table["Content-Security-Policy"]
    external: list[str] = []

    def local_only(route: Route) -> None:
        if route.request.url.startswith(("http://127.0.0.1:", "http://localhost:")):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    context = chromium.new_context()
    context.add_init_script(SNAPSHOT_SCRIPT)  # about headers and frames: Python need not boot in any of them
    context.route("**/*", local_only)
    try:
        page = context.new_page()
        page.goto(f"{site.url}gallery/")
        page.evaluate(CONTROLLED_JS)
        response = page.reload()
        assert response is not None and response.from_service_worker
        # Served by the worker with the site's whole header table, as the server (CloudFront) sends it.
        headers = response.headers
        for name, value in table.items():
            assert headers[name.lower()] == value, name
        assert "x-frame-options" not in headers
        assert page.evaluate("crossOriginIsolated") is True
        page.close()

        # Another origin on the same site: the worker serves the embedded page (COEP and all); another
        # site: the browser keeps service workers out of third-party frames, and the embed works as before.
        for host, controlled in (("127.0.0.1", True), ("localhost", False)):
            partner = context.new_page()
            for _ in range(2):  # the first visit installs the worker; the second is served by it
                partner.goto(embedder.url.replace("127.0.0.1", host))
                embedded = partner.frame_locator("#demo")
                embedded.locator(".mplat-notebook").wait_for(timeout=60_000)
                app = embedded.frame_locator("iframe.mplat-notebook__frame")
                app.locator("marimo-wasm").wait_for(state="attached", timeout=60_000)
                frame = next(f for f in partner.frames if f.url == frame_url)
                if controlled:
                    frame.wait_for_function(
                        "() => navigator.serviceWorker.controller || undefined", timeout=60_000
                    )
            assert frame.evaluate("Boolean(navigator.serviceWorker.controller)") is controlled, host
            assert frame.evaluate("document.querySelector('.mplat-notebook').dataset.slug") == "good-demo"
            partner.close()
        assert external == []
    finally:
        context.close()
        site.stop()


@pytest.fixture
def free_port() -> int:
    server = SiteServer(Path("."))
    port = server.httpd.server_address[1]
    server.httpd.server_close()
    return port


@pytest.fixture
def mkdocs_serve(offline_builds: Builds, free_port: int) -> Iterator[str]:
    """`mkdocs serve --livereload` of the fixture project on a known port (started after the test's setup)."""
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> str:
        mkdocs = Path(sys.executable).parent / "mkdocs"
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        cmd = [str(mkdocs), "serve", "--livereload", "-a", f"127.0.0.1:{free_port}"]
        proc = subprocess.Popen(
            cmd, cwd=offline_builds.project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        processes.append(proc)
        url = f"http://127.0.0.1:{free_port}/"
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            assert proc.poll() is None, "mkdocs serve exited"
            try:
                urllib.request.urlopen(url, timeout=5).read()
                return url
            except OSError:
                time.sleep(1)
        raise AssertionError("mkdocs serve did not come up")

    yield start  # type: ignore[misc]
    for proc in processes:
        proc.terminate()
        proc.wait(timeout=30)


def test_mkdocs_serve_registers_no_worker_and_removes_a_stale_one(
    offline_builds: Builds,
    context,
    free_port: int,
    mkdocs_serve,  # type: ignore[no-untyped-def]
) -> None:
    # A production build was previewed on this address earlier: its worker controls the origin.
    preview = SiteServer(offline_builds.a, port=free_port).start()
    page = context.new_page()
    page.goto(f"{preview.url}gallery/")
    page.evaluate(CONTROLLED_JS)
    preview.stop()

    url = mkdocs_serve()
    with page.expect_navigation(url=f"{url}gallery/", timeout=120_000):
        page.goto(f"{url}gallery/")  # served by the stale worker, whose script then removes it and reloads
    page.wait_for_function("() => !navigator.serviceWorker.controller", timeout=60_000)
    # (The page's own attempt to register the missing sw.js shows a registration for a moment.)
    page.wait_for_function("() => navigator.serviceWorker.getRegistrations().then((r) => r.length === 0)")
    assert page.evaluate("fetch('../sw.js').then((r) => r.status)") == 404
    assert "livereload" in page.content(), "the page now comes from mkdocs serve, live reload included"
