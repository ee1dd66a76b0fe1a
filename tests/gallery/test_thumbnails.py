"""Card thumbnails are screenshots of the notebook as a reader first sees it.

The fixture notebook paints its output red where CPython ran it (the build) and blue where Pyodide did
(the browser), so the picture tells which run it shows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e.sitebuild import build_site
from PIL import Image

from gallery.conftest import write_project

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
