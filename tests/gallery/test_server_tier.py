"""Server notebooks (notebooks/analysis/) in the gallery: cards with the server badge, pages with the preview
computed at build time, "Open on the server" reaching the notebook on a real marimo server, plain words and a
disabled button without a server or a connection, and gallery.json checked against its JSON Schema.

The browser tests use the session's demo site, built with a server address on a reserved port
(`demo_server_port`, tests/e2e/fixtures.py); this module starts the marimo server there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.browser import OriginGuard
from playwright.sync_api import BrowserContext
from server.alb import TEST_ALB
from server.running import NOTEBOOK_MARKERS, RunningServer, assert_no_cell_error, serve

from mplat.gallery import feed, pages, server_tier
from mplat.gallery.discover import discover, load_notebook
from mplat.gallery.errors import GalleryError
from mplat.gallery.messages import text
from mplat.gallery.preview import SiteServer

REPO_ROOT = Path(__file__).resolve().parents[2]
ANALYSIS = REPO_ROOT / "notebooks" / "analysis"
SERVER_SLUGS = [nb.slug for nb in discover(ANALYSIS, tier="server")]
WEATHER = load_notebook(ANALYSIS / "weather_processing.py", "server")
pytestmark = pytest.mark.xdist_group("server_tier")


# ---- pages and feed, no build -----------------------------------------------------------------------


def test_page_without_a_server_says_so_and_has_no_link() -> None:
    page = pages.server_notebook_page(WEATHER, server_url="")
    assert text("tier.badge") in page and text("tier.no_server") in page
    assert '<button type="button" class="md-button md-button--primary mplat-open-server" disabled>' in page
    assert "?file=" not in page, "no server: no link at all, never a dead one"
    assert 'src="../../apps/weather-processing.html"' in page  # the build-time preview


def test_server_page_speaks_the_sites_language() -> None:
    page = pages.server_notebook_page(WEATHER, server_url="", language="de")
    assert text("tier.badge", "de") in page and text("tier.no_server", "de") in page
    assert text("tier.open", "de") in page and text("tier.badge", "en") not in page


def test_page_with_a_server_links_to_the_notebook_by_file_name() -> None:
    page = pages.server_notebook_page(WEATHER, server_url="https://marimo.example.com/")
    assert 'href="https://marimo.example.com/?file=weather_processing.py"' in page
    assert text("tier.no_server") not in page


@pytest.mark.parametrize("url", ["marimo.example.com", "ftp://x.example.com/", "https://x.example.com/?a=1"])
def test_a_server_url_that_is_not_an_address_is_a_config_error(url: str) -> None:
    with pytest.raises(GalleryError, match="server_url"):
        server_tier.normalise_server_url(url)
    assert server_tier.normalise_server_url("https://m.example.com") == "https://m.example.com/"


def test_feed_of_both_tiers_is_valid_and_the_schema_names_what_is_wrong() -> None:
    browser = load_notebook(REPO_ROOT / "notebooks" / "demos" / "solar_calculator.py")
    for server_url in ("", "https://marimo.example.com/"):
        index = pages.gallery_index([browser, WEATHER], {"solar-calculator": "assets/t.webp"}, server_url)
        assert feed.problems(index) == []
    entries = pages.gallery_index([browser, WEATHER], {}, "https://marimo.example.com/")["notebooks"]
    assert entries[0]["tier"] == "browser" and "server_url" not in entries[0]
    assert entries[1]["server_url"] == "https://marimo.example.com/?file=weather_processing.py"

    no_url = json.loads(json.dumps(entries[1]))
    del no_url["server_url"]
    wrong_tier = {**entries[0], "tier": "cloud"}
    browser_with_url = {**entries[0], "server_url": "https://marimo.example.com/?file=x.py"}
    found = feed.problems({"notebooks": [no_url, wrong_tier, browser_with_url]})
    assert any(p.startswith("notebooks/0") and "server_url" in p for p in found), found
    assert any(p.startswith("notebooks/1/tier") for p in found), found
    assert any(p.startswith("notebooks/2") for p in found), found


def test_copy_to_portfolio_refuses_a_feed_the_portfolio_cannot_read(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "gallery.json").write_text(json.dumps({"notebooks": [{"slug": "x", "tier": "server"}]}))
    done = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "copy-to-portfolio"),
            str(tmp_path / "demos"),
            "--site",
            str(site),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "gallery.schema.json" in done.stderr and "notebooks/0" in done.stderr and "'title'" in done.stderr
    assert not (tmp_path / "demos").exists()


# ---- the built demo site -----------------------------------------------------------------------------


def test_built_feed_lists_both_tiers_and_matches_the_schema(built_site: Path, demo_server_port: int) -> None:
    feed.check_file(built_site / "gallery.json")
    index = json.loads((built_site / "gallery.json").read_text())
    server = [e for e in index["notebooks"] if e["tier"] == "server"]
    assert [e["slug"] for e in server] == SERVER_SLUGS and len(SERVER_SLUGS) == 4
    for entry in server:
        assert entry["server_url"].startswith(f"http://127.0.0.1:{demo_server_port}/?file=")
        assert (built_site / entry["app_url"]).is_file() and (built_site / entry["thumbnail_url"]).is_file()
        assert "data-mplat-preview" in (built_site / entry["app_url"]).read_text()


@pytest.fixture(scope="module")
def marimo_server(built_site: Path, demo_server_port: int, tmp_path_factory) -> Iterator[RunningServer]:  # type: ignore[no-untyped-def]
    """The image's start script serving notebooks/analysis/ where the demo site's "Open" buttons point.
    No buckets: the notebooks show the sample data; nothing reaches AWS."""
    workdir = tmp_path_factory.mktemp("marimo-server")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        PYTHON=sys.executable,
        AWS_ENDPOINT_URL=server_tier.NO_AWS,
        AWS_EC2_METADATA_DISABLED="true",
        RAW_BUCKET="",
        DERIVED_BUCKET="",
        SCRATCH_DIR=str(workdir / "scratch"),
    )
    with serve(env, workdir, "--auth", "alb", port=demo_server_port) as running:
        yield running


@pytest.mark.browser
def test_gallery_shows_server_cards_and_open_reaches_the_notebook_on_the_server(
    site_server: SiteServer, marimo_server: RunningServer, context: BrowserContext, guard: OriginGuard
) -> None:
    # Behind the ALB, a signed-in visitor's requests carry the ALB's signed header: the stand-in ALB's here.
    context.set_extra_http_headers(TEST_ALB.headers())
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{site_server.url}gallery/")
    cards = page.locator("li.mplat-card[data-tier=server]")
    assert cards.count() == len(SERVER_SLUGS)
    assert set(cards.locator(".mplat-server__badge").all_inner_texts()) == {text("tier.badge")}
    assert page.locator("li.mplat-card[data-tier=browser] .mplat-server__badge").count() == 0

    cards.filter(has_text="Weather processing").locator("a").click()
    page.wait_for_url("**/gallery/weather-processing/")
    # The preview: outputs computed at build time, with the chart, and no Python started for it.
    frame = page.frame_locator("iframe.mplat-notebook__frame")
    frame.get_by_role("heading", name="Monthly irradiation and temperature").wait_for()
    frame.locator(".js-plotly-plot").first.wait_for()
    assert frame.locator("html").get_attribute("data-mplat-kernel") == "held"
    assert not any("pyodide.asm.wasm" in url for url in guard.requests), "a preview must not boot Python"

    page.get_by_role("link", name=text("tier.open")).click()
    page.wait_for_url(f"{marimo_server.url}/?file=weather_processing.py")
    page.get_by_text(NOTEBOOK_MARKERS["weather_processing.py"]).first.wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    assert_no_cell_error(page)
    # marimo's plotly component on the server asks a CDN for MathJax (NOTES §1; the site serves its own
    # copy, the server does not): blocked here, and the chart renders without it. Nothing else leaves.
    assert [url for url in guard.external if "mathjax" not in url] == []


@pytest.mark.browser
def test_offline_the_server_page_says_so_and_open_is_disabled(
    site_server: SiteServer, context: BrowserContext, guard: OriginGuard, demo_server_port: int
) -> None:
    page = context.new_page()
    page.goto(f"{site_server.url}gallery/weather-processing/")
    open_link = page.locator(".mplat-open-server")
    assert open_link.get_attribute("href")
    context.set_offline(True)
    page.locator(".mplat-server__note", has_text=text("tier.offline")).wait_for()
    assert open_link.get_attribute("href") is None and open_link.get_attribute("aria-disabled") == "true"
    context.set_offline(False)
    page.locator(f".mplat-open-server[href*=':{demo_server_port}/']").wait_for()
    assert not [url for url in guard.requests if f":{demo_server_port}/" in url]
