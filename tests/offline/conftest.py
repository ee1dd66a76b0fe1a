"""Fixtures of the offline tests: builds A and B of a small project (once per session), a recording
server, and WebKitGTK's WebDriver under a private Xvfb display."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.fixtures import Partner
from e2e.sitebuild import build_site

from .support import Builds, change_notebook, embed_option, write_fixture_project

WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"


@pytest.fixture(scope="session")
def offline_builds(tmp_path_factory: pytest.TempPathFactory, partner: Partner) -> Builds:
    root = tmp_path_factory.mktemp("offline")
    project = write_fixture_project(root / "project", embed_option(partner.origins))
    sites = {}
    for name in ("a", "b"):
        if name == "b":
            change_notebook(project)
        sites[name] = root / f"site-{name}"
        result = build_site(project, sites[name])
        assert result.returncode == 0, f"build {name} failed:\n{result.stdout}\n{result.stderr}"
    return Builds(a=sites["a"], b=sites["b"], project=project)


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    """A private X display (Xvfb picks a free number and reports it on a pipe)."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=[write_end],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        number = b""
        while not number.endswith(b"\n"):  # Xvfb dies if the pipe closes before it wrote the newline
            chunk = os.read(read_end, 16)
            if not chunk:
                break
            number += chunk
        os.close(read_end)
        number = number.strip()
        assert xvfb.poll() is None, "Xvfb exited at start"
        assert number, "Xvfb did not start (is the xvfb package installed? `make browsers`)"
        yield f":{number.decode()}"
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=30)


@pytest.fixture
def webkit(xvfb_display: str) -> Iterator[object]:
    """WebKitGTK (the engine of Safari) driven through its WebDriver; a fresh profile per test."""
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    assert Path(WEBKIT_DRIVER).exists(), "WebKitWebDriver missing: `make browsers` installs webkit2gtk-driver"
    options = Options()
    options.add_argument("--automation")
    service = Service(executable_path=WEBKIT_DRIVER, env={**os.environ, "DISPLAY": xvfb_display})
    driver = webdriver.WebKitGTK(options=options, service=service)
    driver.set_script_timeout(600)
    try:
        yield driver
    finally:
        driver.quit()
