"""The built demo site: gallery cards, thumbnails, notebook pages, downloads, embeds, search, brand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from mplat.gallery.discover import discover

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = discover(REPO_ROOT / "notebooks" / "demos")


def test_gallery_has_a_card_per_notebook_with_thumbnail_title_description_tags(built_site: Path) -> None:
    gallery = (built_site / "gallery" / "index.html").read_text()
    for nb in NOTEBOOKS:
        assert f'data-slug="{nb.slug}"' in gallery
        assert f'src="../assets/thumbnails/{nb.slug}.webp"' in gallery
        assert nb.title in gallery and nb.description.split("&")[0] in gallery
        for tag in nb.tags:
            assert f'data-tag="{tag}"' in gallery  # filter button


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda nb: nb.slug)
def test_thumbnail_is_a_real_card_sized_image(built_site: Path, nb) -> None:  # type: ignore[no-untyped-def]
    image = Image.open(built_site / "assets" / "thumbnails" / f"{nb.slug}.webp")
    assert image.format == "WEBP" and image.size == (640, 400)
    spread = ImageStat.Stat(image.convert("L")).stddev[0]
    assert spread > 5, "thumbnail is blank"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda nb: nb.slug)
def test_notebook_page_links_download_and_embed(built_site: Path, nb) -> None:  # type: ignore[no-untyped-def]
    page = (built_site / "gallery" / nb.slug / "index.html").read_text()
    assert f'href="../../apps/{nb.slug}.html">Open full screen' in page
    assert f'href="../../downloads/{nb.slug}.py" download="{nb.path.name}"' in page
    assert (built_site / "downloads" / f"{nb.slug}.py").read_bytes() == nb.path.read_bytes()
    assert "&lt;iframe src=" in page and f"title=&quot;{nb.title}" in page.replace("&#x27;", "'")
    assert 'class="mplat-notebook__frame"' in page


def test_notebooks_are_in_the_search_index(built_site: Path) -> None:
    index = json.loads((built_site / "search" / "search_index.json").read_text())
    text = json.dumps(index["docs"])
    for nb in NOTEBOOKS:
        assert f"gallery/{nb.slug}/" in text
        assert nb.title in text
        for tag in nb.tags:
            assert tag in text


def test_brand_logo_and_no_third_party_urls_in_pages(built_site: Path) -> None:
    home = (built_site / "index.html").read_text()
    assert "assets/logo.svg" in home and "brand.css" in home
    assert "fonts.googleapis" not in home and "fonts.gstatic" not in home
    css = (built_site / "assets" / "brand.css").read_text()
    assert "#d4a843" in css.lower() and "#000000" in css
    # Analytics is off in the demo config: no analytics script anywhere.
    assert not (built_site / "assets" / "mplat-analytics.js").exists()
    assert "mplat-analytics" not in home and "plausible" not in home
