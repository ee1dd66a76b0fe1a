"""Every gallery page runs its notebook in Chromium from the site's own origin, on a first visit (no service
worker) with exactly the headers CloudFront is configured to send (its CSP included)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page

from mplat.energy import epw, io, pv
from mplat.gallery.discover import discover
from mplat.gallery.preview import SiteHandler, SiteServer

from .browser import (
    OriginGuard,
    boot_plan_of,
    computed_outputs,
    move_first_slider,
    notebook_frame,
    python_started,
    session_handover,
    wait_for_change,
    wait_for_kernel,
)
from .production import CSP_VIOLATIONS_SCRIPT, cloudfront_headers

REPO_ROOT = Path(__file__).resolve().parents[2]
SLUGS = [nb.slug for nb in discover(REPO_ROOT / "notebooks" / "demos")]
SERVER_SLUGS = [nb.slug for nb in discover(REPO_ROOT / "notebooks" / "analysis")]
# One worker runs this module, so its tests share the booted notebooks (`running`).
pytestmark = pytest.mark.xdist_group("e2e_notebooks")


def test_site_has_a_page_per_notebook_and_gallery_json(built_site: Path) -> None:
    assert len(SLUGS) >= 3
    index = json.loads((built_site / "gallery.json").read_text())
    assert [n["slug"] for n in index["notebooks"]] == SLUGS + SERVER_SLUGS
    assert [n["tier"] for n in index["notebooks"]] == ["browser"] * len(SLUGS) + ["server"] * len(
        SERVER_SLUGS
    )
    for entry in index["notebooks"]:
        assert (built_site / entry["page_url"] / "index.html").is_file()
        assert (built_site / entry["app_url"]).is_file()
        assert not entry["page_url"].startswith("/") and not entry["app_url"].startswith("/")
        assert entry["title"] and entry["updated"]
    lock = json.loads((built_site / "runtime" / "pyodide-lock.json").read_text())
    for pkg in lock["packages"].values():
        assert (built_site / "runtime" / pkg["file_name"]).is_file()


@dataclass
class RunningNotebooks:
    """Gallery pages whose notebook has booted, one per slug, in one guarded browser context: the tests of
    this module share them (a boot costs ~15 s of CPU)."""

    context: BrowserContext
    guard: OriginGuard
    site_url: str
    pages: dict[str, tuple[Page, Frame]] = field(default_factory=dict)
    # The response headers of each slug's gallery page and of its notebook frame's document.
    headers: dict[str, tuple[dict[str, str], dict[str, str]]] = field(default_factory=dict)

    def open(self, slug: str) -> tuple[Page, Frame]:
        if slug not in self.pages:
            page = self.context.new_page()
            with page.expect_response(lambda r: r.url.endswith(f"/apps/{slug}.html")) as app:
                response = page.goto(f"{self.site_url}gallery/{slug}/")
            assert response is not None
            self.headers[slug] = (response.all_headers(), app.value.all_headers())
            frame = notebook_frame(page)
            wait_for_kernel(frame)
            if python_started(frame) == "made-snapshot":  # kept before the next notebook opens
                frame.locator("html[data-mplat-memory-snapshot=stored]").wait_for(
                    state="attached", timeout=60_000
                )
            self.pages[slug] = (page, frame)
        return self.pages[slug]


@pytest.fixture(scope="module")
def running(site_server: SiteServer, chromium: Browser) -> Iterator[RunningNotebooks]:
    guard = OriginGuard()
    # A first visit: no service worker answers (it would add the headers itself), only the server.
    context = guard.attach(
        chromium.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True, service_workers="block"
        )
    )
    context.add_init_script(CSP_VIOLATIONS_SCRIPT)
    yield RunningNotebooks(context, guard, site_server.url)
    context.close()


@pytest.mark.parametrize("slug", SLUGS)
def test_notebook_runs_and_reacts_with_zero_third_party_requests(
    running: RunningNotebooks, slug: str
) -> None:
    page, frame = running.open(slug)
    guard = running.guard
    before = computed_outputs(frame)
    assert any(before), "the notebook rendered no computed output"
    move_first_slider(frame)
    wait_for_change(frame, before)
    assert guard.external == [], f"requests left the origin: {guard.external}"
    assert any("/runtime/pyodide.asm.wasm" in url for url in guard.requests)
    # Served with CloudFront's headers, and the CSP refused nothing the notebook needed.
    for received in running.headers[slug]:
        for name, value in cloudfront_headers().items():
            assert received.get(name.lower()) == value, name
    assert "x-frame-options" not in running.headers[slug][1]
    assert frame.evaluate("crossOriginIsolated") is True
    for document in (page, frame):
        # marimo's frontend probes `Function("")` and falls back when a CSP forbids it (docs/deploying.md).
        refused = [
            v for v in document.evaluate("window.__cspViolations") if not v.startswith("script-src eval")
        ]
        assert refused == [], refused


def test_notebooks_boot_from_slices_and_never_fetch_a_sliced_wheel_whole(running: RunningNotebooks) -> None:
    """Of a wheel the build sliced (slices.py), every notebook's boot and first interactions read only the
    slice: the build's trace saw every module they import, so no whole wheel is fetched after all."""
    for slug in SLUGS:
        running.open(slug)
    runtime = [url.split("?")[0] for url in running.guard.requests if "/runtime/" in url]
    slices = {url for url in runtime if url.endswith(".boot.zip")}
    assert any("/marimo_base-" in url for url in slices), "marimo's wheel is sliced"
    whole = {url.removesuffix(".boot.zip") + ".whl" for url in slices}
    assert whole.isdisjoint(runtime), sorted(whole & set(runtime))


# A plotly chart drawn by plotly.js (its SVG), in the document or in a shadow root (marimo's outputs).
CHART_DRAWN = """() => {
  const drawn = (root) => Boolean(root.querySelector(".js-plotly-plot .main-svg")) ||
    [...root.querySelectorAll("*")].some((el) => el.shadowRoot && drawn(el.shadowRoot));
  return drawn(document);
}"""


def _chart_drawn(frame: Frame, timeout_s: float = 60) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if frame.evaluate(CHART_DRAWN):
            return True
        time.sleep(0.2)
    return False


def test_later_notebooks_start_from_the_memory_snapshot_and_still_draw_their_charts(
    running: RunningNotebooks,
) -> None:
    """The first notebook opened makes the memory snapshot, the next ones restore it (under CloudFront's
    CSP). A restored page loads plotly.js only after the first run (notebook-gate.js): the charts come."""
    started = sorted(python_started(running.open(slug)[1]) for slug in SLUGS)
    assert started == ["made-snapshot"] + ["restored"] * (len(SLUGS) - 1), started
    # each session was started by the worker ahead of marimo's page, and handed over when the page asked
    assert [session_handover(running.open(slug)[1]) for slug in SLUGS] == ["ahead"] * len(SLUGS)
    for slug in SLUGS:  # every demo's first outputs include plotly charts
        assert _chart_drawn(running.open(slug)[1]), f"{slug}: no chart drawn"


def test_a_preset_link_opens_the_notebook_with_its_inputs(
    site_server: SiteServer, context: BrowserContext, guard: OriginGuard
) -> None:
    """A sales engineer's link to a client's configuration: the gallery page passes its query to the notebook."""
    weather = epw.read_epw(io.read_bytes(REPO_ROOT / "data" / "examples" / "piedmont.epw.gz"))
    expected = pv.simulate(weather, pv.PVSystem(dc_kw=12.0, tilt=20, azimuth=180, losses=0.14))
    page = context.new_page()
    page.goto(f"{site_server.url}gallery/solar-calculator/?location=piedmont&system_kw=12&tilt=20")
    frame = notebook_frame(page)
    wait_for_kernel(frame)
    outputs = "\n".join(computed_outputs(frame))
    assert f"Annual production: {expected.annual_ac_kwh:,.0f} kWh" in outputs
    assert "Specific yield:" in outputs
    assert session_handover(frame) == "ahead"  # the session started ahead had the link's inputs
    assert guard.external == []


# Before the gate runs: the session inputs it posts to the kernel worker lose the URL's query, as if the
# page's prediction were wrong.
_WRONG_SESSION_INPUTS = """(() => {
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, ...rest) {
    if (message && message.id === "mplat-session-inputs") message.payload.queryParameters = {};
    return post.call(this, message, ...rest);
  };
})();"""


def test_a_session_started_ahead_with_other_inputs_is_discarded_for_the_page_own(
    site_server: SiteServer, context: BrowserContext
) -> None:
    """The worker starts the session with what the gate read from the page; when marimo's page asks with
    other inputs, that session is stopped and the page's started: the notebook shows the link's inputs."""
    weather = epw.read_epw(io.read_bytes(REPO_ROOT / "data" / "examples" / "piedmont.epw.gz"))
    expected = pv.simulate(weather, pv.PVSystem(dc_kw=12.0, tilt=20, azimuth=180, losses=0.14))
    page = context.new_page()
    page.add_init_script(_WRONG_SESSION_INPUTS)
    page.goto(f"{site_server.url}apps/solar-calculator.html?location=piedmont&system_kw=12&tilt=20")
    wait_for_kernel(page)
    assert session_handover(page) == "discarded"
    assert f"Annual production: {expected.annual_ac_kwh:,.0f} kWh" in "\n".join(computed_outputs(page))
    before = computed_outputs(page)
    move_first_slider(page)
    assert wait_for_change(page, before) != before  # one kernel, answering


def test_the_climate_dashboard_downloads_its_hourly_csv(running: RunningNotebooks, tmp_path: Path) -> None:
    """The download is made by Python when pressed (so the page does not carry it): a row per hour."""
    page, frame = running.open("climate-dashboard")
    with page.expect_download(timeout=60_000) as download:
        frame.get_by_text("Download the cleaned hourly data (CSV)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "amsterdam_hourly.csv"
    lines = saved.read_text(encoding="utf-8").splitlines()
    weather = epw.read_epw(io.read_bytes(REPO_ROOT / "data" / "examples" / "amsterdam.epw.gz"))
    assert lines == epw.to_csv(weather).splitlines()
    assert len(lines) == 8761  # header + 8760 hours
    assert running.guard.external == []


def test_the_first_run_finds_its_weather_file_already_fetched(built_site: Path, chromium: Browser) -> None:
    """The build's trace saw the solar calculator's first run open its weather table (the weather year with its
    sun and sky, read instead of the EPW file): the boot plan lists it, the controller fetches them while Python starts, and the run's own requests are
    answered from the browser's cache (a 304 revalidation, no second body): on a slow link the run no longer
    waits for the download."""
    html = (built_site / "apps" / "solar-calculator.html").read_text()
    plan = boot_plan_of(html)
    assert plan["data"] == ["public/amsterdam.table.gz"]
    files = {"/apps/public/amsterdam.table.gz"}
    answers: dict[str, list[int]] = {name: [] for name in files}

    class Recording(SiteHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            path = self.path.split("?")[0]
            if path in files:
                answers[path].append(int(code))

    server = SiteServer(built_site, handler_base=Recording).start()
    context = chromium.new_context(service_workers="block")  # a first visit: the browser's cache only
    try:
        page = context.new_page()
        page.goto(f"{server.url}apps/solar-calculator.html")
        wait_for_kernel(page)  # the first run read the files
    finally:
        context.close()
        server.stop()
    # [200]: not fetched ahead; [200, 200]: downloaded twice
    assert answers == {name: [200, 304] for name in files}, answers
