"""Fixtures for the server tier: the image's start script running for real, and headless Chromium.

The server is started with `docker/marimo/serve.sh` (the image's command) on 127.0.0.1 against the session's
moto server; browser tests share one server per module and create their buckets after `aws_env` reset moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .alb import TEST_ALB
from .running import REPO_ROOT


@pytest.fixture(scope="session")
def sample_weather_dir() -> Path:
    """The gzipped sample EPW files shipped in data/examples/ (the notebooks' demo data)."""
    shipped = REPO_ROOT / "data" / "examples"
    assert any(shipped.glob("*.epw.gz")), f"no sample EPW files in {shipped}"
    return shipped


@pytest.fixture
def page(chromium) -> Iterator[object]:
    # Servers in `alb` mode admit only requests signed by the ALB: send the stand-in ALB's header (as the ALB would).
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, extra_http_headers=TEST_ALB.headers()
    )
    # Nothing may leave 127.0.0.1: the server tier works offline.
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else route.abort()
        ),
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
