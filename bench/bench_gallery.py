"""Gallery build benchmarks (issues 2 and 3).

Baseline, measured in the same run: a plain loop of `marimo export html-wasm` per notebook, each into its
own folder (what a team does without this pipeline). Then the pipeline's full build (cold export and
thumbnail caches, warm wheel cache), a no-op rebuild and a one-notebook-changed rebuild, the site bytes,
and one notebook's cold load in Chromium (first output, interactive, bytes transferred).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .project import BIN, REPO, linked_project, tool_env

LOADED = "solar-calculator"  # the notebook opened in Chromium
TIMINGS = re.compile(
    r"gallery: (\d+) notebooks, (\d+) exported, (\d+) thumbnails; check ([\d.]+)s, export ([\d.]+)s, "
    r"runtime ([\d.]+)s, thumbnails ([\d.]+)s, pages ([\d.]+)s"
)


def _project(root: Path) -> Path:
    """A copy of the project whose notebooks can be edited, sharing docs, sources, data and npm packages."""
    linked_project(root)
    shutil.copytree(REPO / "notebooks" / "demos", root / "notebooks" / "demos", symlinks=True)
    config = (REPO / "mkdocs.yml").read_text()
    # Browser notebooks only: the server notebooks' previews (bench_serve covers them) are not measured here.
    config = re.sub(r"\n\s+server_(notebooks_dir|url):.*", "", config)
    config = config.replace(
        "  - mplat-gallery:\n", f"  - mplat-gallery:\n      cache_dir: {root / '.cache'}\n", 1
    )
    (root / "mkdocs.yml").write_text(config)
    wheels = REPO / ".cache" / "plugin" / "mplat-gallery" / "wheels"
    if wheels.is_dir():  # downloads are not what is measured here
        shutil.copytree(wheels, root / ".cache" / "wheels")
    return root


def _build(project: Path) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "mkdocs"), "build"], cwd=project, env=tool_env(), capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    m = TIMINGS.search(result.stderr)
    assert m, result.stderr[-2000:]
    keys = ["notebooks", "exported", "thumbnails", "check", "export", "runtime", "thumb_s", "pages"]
    stats = dict(zip(keys, map(float, m.groups()), strict=True))
    stats["pipeline"] = (
        stats["check"] + stats["export"] + stats["runtime"] + stats["thumb_s"] + stats["pages"]
    )
    return wall, stats


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _baseline(notebooks: list[Path], out: Path) -> tuple[float, list[float], int]:
    times = []
    for nb in notebooks:
        started = time.perf_counter()
        subprocess.run([str(BIN / "marimo"), "export", "html-wasm", str(nb), "-o", str(out / nb.stem / "index.html"),
                        "--mode", "run"], env=tool_env(), check=True, capture_output=True)  # fmt: skip
        times.append(time.perf_counter() - started)
    return sum(times), times, _dir_bytes(out)


# JS: resolves with performance.now() at the first DOM change after which the computed outputs differ
# from `before` (the texts of output areas holding no UI element, as tests/e2e/browser.py reads them).
WATCH_OUTPUTS_JS = """(before) => { window.__changed = new Promise((resolve) => {
  const texts = () => [...document.querySelectorAll('.output-area')]
    .filter(e => !e.querySelector('marimo-slider, marimo-dropdown, marimo-number, marimo-file, [role=slider]'))
    .map(e => e.innerText.trim());
  const obs = new MutationObserver(() => {
    if (JSON.stringify(texts()) !== JSON.stringify(before)) { obs.disconnect(); resolve(performance.now()); }
  });
  obs.observe(document.body, { subtree: true, childList: true, characterData: true });
}); }"""
SLIDER_MOVES = 7


def _slider_round_trips(page, computed_outputs) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds from a key press on the first slider to the outputs it changes, one step at a time."""
    slider = page.locator("[role=slider]").first
    slider.focus()
    times = []
    for _ in range(SLIDER_MOVES):
        time.sleep(1.0)  # the previous run has settled
        page.evaluate(WATCH_OUTPUTS_JS, computed_outputs(page))
        started = page.evaluate("performance.now()")
        slider.press("ArrowRight")
        times.append(page.evaluate("window.__changed") - started)
    return times


def _browser_load(site: Path, slug: str) -> dict[str, float]:
    sys.path.insert(0, str(REPO / "tests"))
    from e2e.browser import (
        CHROMIUM,
        CHROMIUM_ARGS,
        computed_outputs,
        move_first_slider,
        wait_for_change,
        wait_for_kernel,
    )
    from playwright.sync_api import sync_playwright

    from mplat.gallery.preview import SiteServer

    server = SiteServer(site).start()
    transferred = 0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()

            def count(response) -> None:  # type: ignore[no-untyped-def]
                nonlocal transferred
                with contextlib.suppress(Exception):  # redirects and aborted requests have no body
                    transferred += len(response.body())

            page.context.on("response", count)  # the context sees the page's and its workers' requests
            started = time.perf_counter()
            page.goto(f"{server.url}apps/{slug}.html")
            page.wait_for_function("() => [...document.querySelectorAll('.output-area')].some(e => e.innerText.trim())",
                                   timeout=300_000)  # fmt: skip
            first_output = time.perf_counter() - started
            # The build-time outputs and sliders show before Python runs: a move before then is not a round trip.
            wait_for_kernel(page)
            before = computed_outputs(page)
            move_first_slider(page)
            wait_for_change(page, before, timeout_s=300)
            interactive = time.perf_counter() - started
            moves = sorted(_slider_round_trips(page, computed_outputs))
            browser.close()
    finally:
        server.stop()
    return {
        "first_output": first_output,
        "interactive": interactive,
        "bytes": transferred,
        "slider_median_ms": moves[len(moves) // 2],
        "slider_max_ms": moves[-1],
    }


def run() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(Path(tmp) / "project")
        notebooks = sorted((project / "notebooks" / "demos").glob("*.py"))
        base_total, base_each, base_bytes = _baseline(notebooks, Path(tmp) / "baseline")

        full_wall, full = _build(project)
        site = project / "site"
        site_bytes = _dir_bytes(site)
        noop_wall, noop = _build(project)
        changed = notebooks[0]
        changed.write_text(changed.read_text() + "\n# benchmark edit\n")
        one_wall, one = _build(project)

        # Site bytes per additional notebook: the same site without one notebook (not the one loaded below).
        (project / "notebooks" / "demos" / "climate_dashboard.py").unlink()
        _build(project)
        smaller = _dir_bytes(site)
        load = _browser_load(site, LOADED)

    single_export = sum(base_each) / len(base_each)
    rows = [
        ("Baseline: `marimo export html-wasm` loop", f"{base_total:.1f} s", f"{len(notebooks)} exports"),
        ("Full build (cold exports + thumbnails)", f"{full['pipeline']:.1f} s pipeline / {full_wall:.1f} s mkdocs",
         f"check {full['check']:.1f}, export {full['export']:.1f}, runtime {full['runtime']:.1f}, "
         f"thumbnails {full['thumb_s']:.1f}, pages {full['pages']:.1f} s"),
        ("No-op rebuild", f"{noop['pipeline']:.2f} s pipeline / {noop_wall:.1f} s mkdocs",
         f"{int(noop['exported'])} exports; **{base_total / max(noop['pipeline'], 1e-3):.0f}x** faster than baseline "
         "(target >= 20x)"),
        ("One notebook changed", f"{one['pipeline']:.1f} s pipeline / {one_wall:.1f} s mkdocs",
         f"{int(one['exported'])} export, {int(one['thumbnails'])} thumbnail; single export here {single_export:.1f} s "
         f"+ its thumbnail {one['thumb_s']:.1f} s (target: within 2x)"),
    ]  # fmt: skip
    per_nb = (site_bytes - smaller) / 1e6
    out = ["## Gallery build (issues 2, 3)", "", "| measurement | time | detail |", "| --- | --- | --- |"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    out += [
        "",
        "| site bytes | value |",
        "| --- | --- |",
        f"| whole site, {len(notebooks)} notebooks | {site_bytes / 1e6:.1f} MB |",
        f"| per additional notebook | {per_nb:.2f} MB (target < 1 MB) |",
        f"| separate exports (baseline) | {base_bytes / 1e6:.1f} MB, {base_bytes / len(notebooks) / 1e6:.1f} MB each |",
        "",
        f"One notebook (`{LOADED}`), cold cache, headless Chromium on localhost: first output "
        f"{load['first_output']:.1f} s, interactive {load['interactive']:.1f} s, {load['bytes'] / 1e6:.1f} MB transferred.",
        "",
        f"Slider move in `{LOADED}` (issue 4, target < 300 ms): key press on its first slider (system size) "
        f"until the computed outputs change, {SLIDER_MOVES} single steps: median "
        f"**{load['slider_median_ms']:.0f} ms**, slowest {load['slider_max_ms']:.0f} ms.",
    ]
    return "\n".join(out)
