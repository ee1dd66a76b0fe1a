"""The installable app: manifest, icons, Apple web-app tags, as built by the real plugin."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from PIL import Image

from mplat.gallery.brand import BLACK, GOLD
from mplat.gallery.pwa import draw_mark

from .conftest import PRECOMPUTED_TEXT, SLUG

pytestmark = pytest.mark.xdist_group("pwa")

PAGES = ["index.html", "gallery/index.html", f"gallery/{SLUG}/index.html", f"apps/{SLUG}.html"]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _head(page: Path) -> str:
    return page.read_text(encoding="utf-8").split("</head>", 1)[0]


def _resolve(site: Path, page: str, href: str) -> Path:
    """The site file a relative URL in `page` points at."""
    return site / urljoin(f"http://site/{page}", href).removeprefix("http://site/")


def test_manifest_parses_and_its_icons_exist_with_the_declared_sizes(pwa_site: Path) -> None:
    manifest = json.loads((pwa_site / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert manifest["name"] == "Solar Demos"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == GOLD == "#D4A843"
    assert manifest["background_color"] == BLACK
    # Relative to the manifest, so the app installs from a sub-path too.
    assert manifest["start_url"] == "./gallery/" and manifest["scope"] == "./"
    purposes = set()
    for icon in manifest["icons"]:
        width, height = (int(n) for n in icon["sizes"].split("x"))
        with Image.open(pwa_site / icon["src"]) as image:
            assert image.format == "PNG" and icon["type"] == "image/png"
            assert image.size == (width, height), icon
        purposes.add((icon["purpose"], width))
    assert {("any", 192), ("any", 512), ("maskable", 192), ("maskable", 512)} <= purposes
    with Image.open(pwa_site / "apple-touch-icon.png") as apple:
        assert apple.size == (180, 180)
        # iOS shows transparency as black and rounds the corners itself: a full-bleed black square.
        assert apple.convert("RGBA").getpixel((0, 0)) == (0, 0, 0, 255)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_links_the_manifest_and_has_the_apple_web_app_tags(pwa_site: Path, page: str) -> None:
    head = _head(pwa_site / page)
    manifest = re.search(r'<link rel="manifest" href="([^"]+)"', head)
    touch_icon = re.search(r'<link rel="apple-touch-icon"[^>]*href="([^"]+)"', head)
    assert manifest and touch_icon, head[-1500:]
    assert _resolve(pwa_site, page, manifest[1]) == pwa_site / "manifest.webmanifest"
    assert _resolve(pwa_site, page, touch_icon[1]) == pwa_site / "apple-touch-icon.png"
    assert '<meta name="apple-mobile-web-app-capable" content="yes">' in head
    assert '<meta name="apple-mobile-web-app-title" content="Solar Demos">' in head
    assert f'<meta name="theme-color" content="{GOLD}">' in head
    # marimo's own manifest and icon (a marimo-branded app) are gone from the notebook pages.
    assert "manifest.json" not in head and head.count('rel="manifest"') == 1


def test_icons_draw_the_logo_gold_sun_on_black() -> None:
    icon = draw_mark(512).convert("RGB")
    gold = _rgb(GOLD)
    # logo.svg (64-unit grid): the sun's centre (32, 36), the horizon line at y = 54, black in between.
    assert _close(icon.getpixel((256, 288)), gold)
    assert _close(icon.getpixel((256, 432)), gold)
    assert icon.getpixel((256, 400)) == (0, 0, 0)  # between the sun (r = 12) and the horizon
    maskable = draw_mark(512, padding=0.15).convert("RGB")
    # Maskable: everything gold stays inside the central 80 % circle the platforms may crop to.
    for x in range(0, 512, 4):
        for y in range(0, 512, 4):
            if _close(maskable.getpixel((x, y)), gold, 60):
                assert (x - 256) ** 2 + (y - 256) ** 2 <= (0.4 * 512) ** 2, (x, y)


def _close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 8) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_notebook_page_html_carries_the_build_time_outputs(pwa_site: Path) -> None:
    """First paint needs no script: the outputs computed at build time are in the page's HTML."""
    page = (pwa_site / "gallery" / SLUG / "index.html").read_text(encoding="utf-8")
    snapshot = re.search(r'<div class="mplat-snapshot"[^>]*>(.*?)</div></div>', page, re.DOTALL)
    assert snapshot, "no snapshot in the notebook page"
    assert PRECOMPUTED_TEXT in re.sub(r"<[^>]+>", "", snapshot[1])
    assert page.index("mplat-notebook__frame") < snapshot.start()
