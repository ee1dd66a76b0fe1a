"""Offline benchmarks (issue 5): the full "Make available offline" download of the demo site, and what an
update that changes one notebook downloads again.

Baseline, measured in the same run: the same files fetched from the same local server by a plain Python
client (4 parallel connections, no browser, no service worker, no hash check) — the transfer cost alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DOWNLOAD_TIMEOUT_MS = 900_000


def _build(project: Path, site: Path, config: Path | None = None) -> None:
    cmd = [str(BIN / "mkdocs"), "build", "--site-dir", str(site)] + (["-f", str(config)] if config else [])
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])


def _plain_download(base_url: str, paths: list[str]) -> tuple[float, int]:
    def get(path: str) -> int:
        with urllib.request.urlopen(base_url + urllib.request.pathname2url(path), timeout=120) as response:
            return len(response.read())

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        total = sum(pool.map(get, paths))
    return time.perf_counter() - started, total


def _served_bytes(site: Path, requests: list[str]) -> int:
    return sum((site / p.lstrip("/")).stat().st_size for p in requests if (site / p.lstrip("/")).is_file())


def _offline_download(browser, site: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from offline.support import RecordingServer

    server = RecordingServer(site).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{server.url}gallery/")
        page.locator(".mplat-offline[data-state]").wait_for(timeout=120_000)
        shell_bytes = _served_bytes(site, server.requests)
        server.requests.clear()
        started = time.perf_counter()
        page.get_by_role("button", name="Make available offline").click()
        page.get_by_role("button", name="Available offline").wait_for(timeout=DOWNLOAD_TIMEOUT_MS)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "bytes": _served_bytes(site, server.requests), "shell": shell_bytes}
    finally:
        context.close()
        server.stop()


@dataclass(frozen=True)
class UpdateResult:
    seconds: float  # from the update check to "Update available — reload"
    bytes: int  # downloaded by the new version (sw.js aside)
    worker_bytes: int
    files: list[str]  # what it downloaded
    changed: list[str]  # files whose content differs between the builds
    app_bytes: int  # the changed notebook's app page
    full_bytes: int  # a full offline download of build B


def _update(browser, builds_root: Path) -> UpdateResult:  # type: ignore[no-untyped-def]
    from offline.support import (
        RecordingServer,
        change_notebook,
        publish,
        read_manifest,
        write_fixture_project,
    )

    project = write_fixture_project(builds_root / "project")
    site_a, site_b, live = builds_root / "a", builds_root / "b", builds_root / "live"
    _build(project, site_a)
    change_notebook(project)
    _build(project, site_b)
    publish(site_a, live)
    server = RecordingServer(live).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{server.url}gallery/")
        page.get_by_role("button", name="Make available offline").click()
        page.get_by_role("button", name="Available offline").wait_for(timeout=DOWNLOAD_TIMEOUT_MS)
        publish(site_b, live)
        server.requests.clear()
        started = time.perf_counter()
        page.evaluate("window.mplatOffline.checkForUpdate()")
        page.get_by_role("button", name="Update available — reload").wait_for(timeout=DOWNLOAD_TIMEOUT_MS)
        seconds = time.perf_counter() - started
        downloaded = sorted({p.lstrip("/") for p in server.requests} - {"sw.js"})
    finally:
        context.close()
        server.stop()
    a, b = read_manifest(site_a), read_manifest(site_b)
    return UpdateResult(
        seconds=seconds,
        bytes=_served_bytes(site_b, downloaded),
        worker_bytes=(site_b / "sw.js").stat().st_size,
        files=downloaded,
        changed=sorted(e.path for e in b.entries if e.sha not in a.hashes()),
        app_bytes=(site_b / "apps" / "good-demo.html").stat().st_size,
        full_bytes=b.total_bytes(),
    )


def run() -> str:
    sys.path.insert(0, str(REPO / "tests"))
    from e2e.browser import CHROMIUM, CHROMIUM_ARGS
    from offline.support import read_manifest
    from playwright.sync_api import sync_playwright

    from mplat.gallery.preview import SiteServer

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        _build(REPO, site)  # the demo site, as `make site` builds it
        manifest = read_manifest(site)
        server = SiteServer(site).start()
        try:
            paths = sorted({e.sha: e.path for e in manifest.entries}.values())
            plain_s, plain_bytes = _plain_download(server.url, paths)
        finally:
            server.stop()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            full = _offline_download(browser, site)
            update = _update(browser, Path(tmp) / "update")
            browser.close()

    mb = 1e6
    shell_bytes = sum({e.sha: e.size for e in manifest.entries if e.group == "shell"}.values())
    files = update.files
    out = [
        "## Offline: full download and updates (issue 5)",
        "",
        "| measurement | bytes | time | detail |",
        "| --- | --- | --- | --- |",
        f"| Baseline: plain HTTP client, same files | {plain_bytes / mb:.1f} MB | {plain_s:.1f} s | "
        f"{len(paths)} distinct files, 4 connections |",
        f"| Shell group (cached at install) | {shell_bytes / mb:.1f} MB | – | pages, styles, scripts, icons |",
        f"| First visit to /gallery/, before the button | {full['shell'] / mb:.1f} MB | – | shell at install, "
        "plus the runtime pre-warm of issue 6 on a fast link |",
        f'| "Make available offline" (Chromium, service worker) | {full["bytes"] / mb:.1f} MB | '
        f"{full['seconds']:.1f} s | {full['seconds'] / max(plain_s, 1e-3):.1f}x the baseline's time "
        f"(verifies every file's SHA-256); manifest total {manifest.total_bytes() / mb:.1f} MB |",
        f"| Update with one notebook changed (fixture project) | {update.bytes / 1e3:.0f} kB "
        f"+ sw.js {update.worker_bytes / 1e3:.0f} kB | {update.seconds:.1f} s to the prompt | "
        f"{len(files)} files: {', '.join(files)}; "
        f"{update.bytes / update.full_bytes * 100:.2f} % of a full download "
        f"({update.full_bytes / mb:.1f} MB); the notebook's app page alone is "
        f"{update.app_bytes / 1e3:.0f} kB |",
        "",
        "Target for the update: that notebook's files only. Files whose content changed between the builds: "
        + ", ".join(update.changed)
        + f"; downloaded again: {'exactly these' if files == update.changed else files}. "
        "The runtime and marimo's assets are never downloaded again when unchanged.",
    ]
    return "\n".join(out)
