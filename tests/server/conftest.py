"""Fixtures for the server tier: the image's start script running for real, and headless Chromium.

The server is started with `docker/marimo/serve.sh` (the image's command) on 127.0.0.1 against the session's
moto server; browser tests share one server per module and create their buckets after `aws_env` reset moto.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .running import CHROMIUM_ARGS, REPO_ROOT


def _reset_moto(endpoint: str) -> None:
    # tests/conftest.py's reset posts form-encoded bodies, which moto's Flask app swallows, so `reset-auth`
    # answers 500 (reported to the lead; that file is shared). Same calls with a plain-text body.
    for path, body in (("/moto-api/reset-auth", b"inf"), ("/moto-api/reset", b"")):
        request = urllib.request.Request(
            endpoint + path, data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        urllib.request.urlopen(request, timeout=10).read()


@pytest.fixture
def aws_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The shared `aws_env` (clean moto, fake credentials, eu-central-1) with a reset that works."""
    _reset_moto(moto_server)
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    yield moto_server
    _reset_moto(moto_server)


@pytest.fixture(scope="session")
def sample_weather_dir() -> Path:
    """The gzipped sample EPW files shipped in data/examples/ (the notebooks' demo data)."""
    shipped = REPO_ROOT / "data" / "examples"
    assert any(shipped.glob("*.epw.gz")), f"no sample EPW files in {shipped}"
    return shipped


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
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
