"""Card thumbnails are screenshots of the notebook as a reader first sees it.

The fixture notebook paints its output red where CPython ran it (the build) and blue where Pyodide did
(the browser), so the picture tells which run it shows.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from e2e.sitebuild import build_site
from PIL import Image
from playwright.sync_api import Browser

from gallery.conftest import write_project
from mplat.gallery.thumbnails import SIZE, VIEWPORT, telling_thumbnail

RED, BLUE = (255, 0, 0), (0, 0, 255)


def _centre_colour(thumbnail: Path) -> tuple[int, ...]:
    image = Image.open(thumbnail).convert("RGB")
    return image.getpixel((image.width // 2, image.height * 3 // 4))  # type: ignore[return-value]


def _near(colour: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 40 for a, b in zip(colour, expected, strict=True))


@pytest.mark.parametrize(
    ("options", "expected", "shows"),
    [
        ("      precompute_outputs: true\n", RED, "the outputs computed at build time; Python never started"),
        ("", BLUE, "the notebook after Pyodide ran it"),
    ],
    ids=["precomputed", "booted"],
)
def test_thumbnail_shows_what_the_reader_sees_first(
    tmp_path: Path, options: str, expected: tuple[int, int, int], shows: str
) -> None:
    project = write_project(tmp_path / "project", ["platform_colour"], options)
    result = build_site(project, project / "site")
    assert result.returncode == 0, result.stderr
    assert re.search(r"gallery: 1 notebooks, 1 exported, 1 thumbnails", result.stderr), result.stderr
    assert "platform-colour: thumbnail taken" in result.stderr
    colour = _centre_colour(project / "site" / "assets" / "thumbnails" / "platform-colour.webp")
    assert _near(colour, expected), f"thumbnail should show {shows}; its centre is {colour}"


# A notebook page as marimo lays it out: a text output, a chart, then a cell named "totals".
_OUTPUTS = (
    '<body style="margin:0;background:#000">'
    '<div data-cell-name="intro"><div class="output-area"><p style="color:#fff">Some text</p></div></div>'
    '<div data-cell-name="_"><div class="output-area" style="width:600px">'
    '<canvas width="600" height="300" style="display:block;background:#f00"></canvas></div></div>'
    '<div data-cell-name="totals"><div class="output-area" style="width:600px">'
    '<div style="width:600px;height:300px;background:#00f"></div></div></div>'
    '<div style="position:fixed;right:0;top:0;width:100px;height:100px;background:#0f0"></div></body>'
)


def test_card_shows_the_first_chart_or_the_cell_the_notebook_names(chromium: Browser) -> None:
    page = chromium.new_page(viewport=VIEWPORT)
    try:
        page.set_content(_OUTPUTS)
        chart = Image.open(io.BytesIO(telling_thumbnail(page))).convert("RGB")
        named = Image.open(io.BytesIO(telling_thumbnail(page, "totals"))).convert("RGB")
    finally:
        page.close()
    assert chart.size == named.size == SIZE
    centre = (SIZE[0] // 2, SIZE[1] // 2)
    assert _near(chart.getpixel(centre), RED), "the first chart, not the text above it"
    assert _near(named.getpixel(centre), BLUE), "[tool.mplat] thumbnail names the cell shown"
    assert chart.getpixel((SIZE[0] - 5, 5)) == (0, 0, 0), "no fixed overlay (marimo's badge) on the chart"
