"""mplat's boot controller (src/mplat/gallery/controller.py): the build's part, then the browser's.

The browser tests serve a small fixture site through a server that counts the bytes it sends per path, so
"each file once" and "no editing packages" are asserted on what crossed the wire.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e.browser import (
    OriginGuard,
    boot_plan_of,
    computed_outputs,
    move_first_slider,
    python_started,
    wait_for_change,
    wait_for_kernel,
)
from e2e.sitebuild import build_site
from playwright.sync_api import Browser, BrowserContext, Page

from mplat.gallery.controller import (
    CONTROLLER_FILE,
    boot_plan,
    defer_plot_chunk,
    kernel_worker,
    rewrite_worker,
)
from mplat.gallery.errors import GalleryError
from mplat.gallery.memory_snapshot import SNAPSHOT_CACHE
from mplat.gallery.model import Notebook
from mplat.gallery.preview import SiteHandler, SiteServer

MARIMO_ASSETS = Path(__import__("marimo").__file__).parent / "_static" / "assets"
EDITING_PACKAGES = ("jedi", "parso", "docutils")


# ---- the build ----


def test_marimos_worker_imports_our_controller_relatively_and_at_once() -> None:
    source = kernel_worker(MARIMO_ASSETS).read_text(encoding="utf-8")
    rewritten = rewrite_worker(source)
    assert "/wasm/controller.js" not in rewritten
    assert rewritten.count(f"import(`../{CONTROLLER_FILE}`)") == 2  # at start, and where marimo imports it
    assert rewrite_worker(rewritten) == rewritten  # a shared asset rewritten twice stays the same
    # an asset an earlier build rewrote with an older first line gets this build's
    older = (
        'self.name.includes(" mplat-boot:") && (self.mplatInbox = [], old());\n'
        + rewritten.partition("\n")[2]
    )
    assert rewrite_worker(older) == rewritten
    assert (
        "self.mplatSnapshot = " in rewritten.partition("\n")[0]
    )  # the snapshot's read starts with the worker


@pytest.mark.parametrize("times", [0, 2])
def test_a_marimo_whose_worker_differs_fails_the_build_loudly(times: int) -> None:
    source = "async function el(e){return await import(`/wasm/controller.js?version=${e}`)}"
    with pytest.raises(GalleryError, match="controller.py"):
        rewrite_worker("x" if times == 0 else source + source)


def test_marimos_plot_chunk_waits_for_the_runtime() -> None:
    (main,) = [p for p in MARIMO_ASSETS.glob("index-*.js") if "./Plot-" in p.read_text()]
    rewritten = defer_plot_chunk(main.read_text(encoding="utf-8"))
    assert rewritten.count("mplatAfterRuntime") == 2  # asked for if the page defines it, else at once
    assert defer_plot_chunk(rewritten) == rewritten
    with pytest.raises(GalleryError, match="controller.py"):
        defer_plot_chunk("import(`./Plot-x.js`)")


def _lock(**packages: list[str]) -> bytes:
    entries = {
        name: {"imports": [name.replace("-", "_")], "depends": deps, "file_name": f"packages/{name}.whl"}
        for name, deps in packages.items()
    }
    return json.dumps({"packages": entries}).encode()


LOCK = _lock(
    **{"marimo-base": ["jedi", "docutils", "pygments", "markdown"]},
    jedi=["parso"],
    parso=[],
    docutils=[],
    pygments=[],
    markdown=[],
    plotly=["narwhals"],
    narwhals=[],
    micropip=[],
)


def _notebook(*imports: str) -> Notebook:
    return Notebook(Path("nb.py"), "nb", "NB", "", (), 1, ("marimo",), frozenset({"marimo", *imports}))


def test_a_read_only_notebook_boots_without_editing_packages() -> None:
    plan = boot_plan(LOCK, _notebook("plotly"), "assets/worker-x.js", "../runtime/")
    assert plan["packages"] == ["marimo-base", "markdown", "micropip", "narwhals", "plotly", "pygments"]
    assert plan["files"][:2] == ["pyodide.asm.wasm", "python_stdlib.zip"]
    assert "packages/plotly.whl" in plan["files"] and "packages/jedi.whl" not in plan["files"]
    assert plan["mathjax"]  # a plotly notebook's MathJax waits for the runtime


def test_a_notebook_importing_jedi_boots_with_jedi_and_parso() -> None:
    plan = boot_plan(LOCK, _notebook("jedi"), "assets/worker-x.js", "../runtime/")
    assert {"jedi", "parso"} <= set(plan["packages"]) and "docutils" not in plan["packages"]


def test_wheels_are_imported_from_their_archives_unless_they_need_a_shared_library() -> None:
    lock = json.loads(LOCK)
    lock["packages"] |= {
        "msgspec": {"imports": ["msgspec"], "depends": [], "file_name": "packages/msgspec-cp314-wasm32.whl"},
        "openssl": {"imports": [], "depends": [], "file_name": "packages/openssl.zip", "shared_library": True,
                    "package_type": "shared_library"},
        "ssl": {"imports": ["ssl"], "depends": ["openssl"], "file_name": "packages/ssl.whl"},
    }  # fmt: skip
    lock["packages"]["marimo-base"]["depends"].append("msgspec")
    plan = boot_plan(
        json.dumps(lock).encode(), _notebook("plotly", "ssl"), "assets/worker-x.js", "../runtime/"
    )
    assert {"msgspec", "ssl", "openssl"} <= set(plan["packages"])
    # msgspec's extension module too: Python's import loads it, so the boot needs no package loader
    assert set(plan["archives"]) == set(plan["packages"]) - {"ssl", "openssl"}


def test_a_sliced_wheel_is_fetched_as_its_boot_slice() -> None:
    slices = {
        "plotly": ("packages/plotly.boot.zip", "ab" * 32),
        "jedi": ("packages/jedi.boot.zip", "cd" * 32),
    }
    plan = boot_plan(LOCK, _notebook("plotly"), "assets/worker-x.js", "../runtime/", slices)
    assert plan["slices"] == {"plotly": ["packages/plotly.boot.zip", "ab" * 32]}  # jedi is not booted
    assert "packages/plotly.boot.zip" in plan["files"] and "packages/plotly.whl" not in plan["files"]
    assert "packages/narwhals.whl" in plan["files"]  # not sliced: the whole wheel


# ---- the browser ----


class CountingServer:
    """The fixture site, with the bytes of every response body counted per path."""

    def __init__(self, site: Path) -> None:
        sent: collections.Counter[str] = collections.Counter()
        self.sent = sent

        class Counting(SiteHandler):
            def copyfile(self, source: Any, outputfile: Any) -> None:
                while chunk := source.read(64 * 1024):
                    outputfile.write(chunk)
                    sent[self.path.split("?")[0]] += len(chunk)

        self.server = SiteServer(site, handler_base=Counting).start()
        self.url = self.server.url


@pytest.fixture(scope="module")
def boot_site(shared_project: Callable[..., Path]) -> Iterator[tuple[Path, CountingServer]]:
    project = shared_project(["good_demo", "editing_features"], "      thumbnails_browser: ''\n")
    result = build_site(project, project / "site")
    assert result.returncode == 0, result.stderr
    server = CountingServer(project / "site")
    yield project / "site", server
    server.server.stop()


@pytest.fixture
def first_visit(chromium: Browser) -> Iterator[BrowserContext]:
    """A fresh profile without service workers: a first visit, and no background download counted."""
    context = chromium.new_context(service_workers="block")
    guard = OriginGuard()
    guard.attach(context)
    yield context
    context.close()
    assert guard.external == []


def _open(context: BrowserContext, server: CountingServer, slug: str) -> Page:
    server.sent.clear()
    page = context.new_page()
    page.goto(f"{server.url}apps/{slug}.html")
    wait_for_kernel(page)
    return page


def _wheels(sent: collections.Counter[str]) -> set[str]:
    return {
        path.rsplit("/", 1)[1].split("-")[0].lower() for path in sent if path.endswith((".whl", ".boot.zip"))
    }


def test_read_only_boot_fetches_each_runtime_file_once_and_no_editing_package(
    boot_site: tuple[Path, CountingServer], first_visit: BrowserContext
) -> None:
    site, server = boot_site
    page = _open(first_visit, server, "good-demo")
    runtime = {path: n for path, n in server.sent.items() if path.startswith("/runtime/")}
    assert "/runtime/pyodide.asm.wasm" in runtime and "/apps/mplat-controller.js" in server.sent
    for path, sent in runtime.items():  # once: no second request, no second download
        assert sent == (site / path.lstrip("/")).stat().st_size, path
    assert not _wheels(server.sent) & set(EDITING_PACKAGES)
    before = computed_outputs(page)
    move_first_slider(page)
    wait_for_change(page, before)


def test_a_notebook_using_jedi_help_and_docstrings_still_works(
    boot_site: tuple[Path, CountingServer], first_visit: BrowserContext
) -> None:
    _, server = boot_site
    page = _open(first_visit, server, "editing-features")
    text = page.locator("body").inner_text()
    assert "jedi completes: dump, dumps" in text  # imported by the notebook: loaded with the boot
    assert "help: Return the number of items in a container." in text
    assert "Docstrings render" in text  # marimo's renderer imported docutils: installed on demand
    assert {"jedi", "parso", "docutils"} <= _wheels(server.sent)


def test_falls_back_to_marimos_controller_when_ours_does_not_load(
    boot_site: tuple[Path, CountingServer], first_visit: BrowserContext
) -> None:
    _, server = boot_site
    first_visit.route("**/mplat-controller.js", lambda route: route.abort())
    page = _open(first_visit, server, "good-demo")
    assert "jedi" in _wheels(server.sent)  # marimo's own controller loads it before every session
    before = computed_outputs(page)
    move_first_slider(page)
    wait_for_change(page, before)


def test_the_friendly_error_appears_when_both_controllers_fail(
    boot_site: tuple[Path, CountingServer], first_visit: BrowserContext
) -> None:
    _, server = boot_site
    first_visit.route("**/mplat-controller.js", lambda route: route.abort())
    first_visit.route("**/runtime/**", lambda route: route.abort())
    page = first_visit.new_page()
    page.goto(f"{server.url}apps/good-demo.html")
    message = page.locator(".mplat-load-failed")
    message.wait_for(timeout=120_000)
    assert "could not be loaded" in message.inner_text()


# ---- memory snapshots (memory_snapshot.py) ----


def _snapshot_url(site: Path, server: CountingServer) -> str:
    """Where the controller keeps the site's memory snapshot in Cache Storage (named by the build's key)."""
    html = (site / "apps" / "good-demo.html").read_text()
    return f"{server.url}runtime/{boot_plan_of(html)['memorySnapshot']['file']}"


def _slider_result(page: Page) -> list[str]:
    before = computed_outputs(page)
    move_first_slider(page)
    return wait_for_change(page, before)


def test_later_visits_start_python_from_the_memory_snapshot_the_first_visit_made(
    boot_site: tuple[Path, CountingServer], first_visit: BrowserContext
) -> None:
    site, server = boot_site
    page = _open(first_visit, server, "good-demo")
    assert python_started(page) == "made-snapshot"
    page.locator("html[data-mplat-memory-snapshot=stored]").wait_for(state="attached", timeout=60_000)
    first_result = _slider_result(page)
    page.close()
    assert server.sent[_snapshot_url(site, server).removeprefix(server.url.rstrip("/"))] == 0  # kept locally

    # Another notebook restores the same snapshot (marimo's boot set) and attaches its own wheels after:
    # jedi (imported by the notebook), docutils installed on demand into the new file system.
    page = _open(first_visit, server, "editing-features")
    assert python_started(page) == "restored"
    text = page.locator("body").inner_text()
    assert "jedi completes: dump, dumps" in text
    assert "help: Return the number of items in a container." in text
    assert "Docstrings render" in text
    page.close()

    page = _open(first_visit, server, "good-demo")
    assert python_started(page) == "restored"
    assert _slider_result(page) == first_result  # the restored interpreter computes what a fresh one did


def test_a_memory_snapshot_that_does_not_restore_is_refused_and_python_starts_afresh(
    boot_site: tuple[Path, CountingServer], first_visit: BrowserContext
) -> None:
    site, server = boot_site
    url = _snapshot_url(site, server)
    page = first_visit.new_page()
    page.goto(server.url)
    page.evaluate(
        """async ([name, url]) => (await caches.open(name)).put(url, new Response(new Uint8Array(4096).fill(7)))""",
        [SNAPSHOT_CACHE, url],
    )
    page.close()
    page = _open(first_visit, server, "good-demo")
    assert python_started(page) == "started"
    _slider_result(page)
    refusal = page.evaluate(
        """async ([name, url]) => {
            const r = await (await caches.open(name)).match(url);
            return r && r.headers.get("x-mplat-snapshot");
        }""",
        [SNAPSHOT_CACHE, url],
    )
    assert refusal == "refused"  # kept: later visits neither try it again nor make another
