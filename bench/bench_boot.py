"""Notebook boot benchmarks (issue 6): first content and time to interactive.

One demo notebook (the solar calculator), built by the real pipeline with pre-computed outputs, opened in
headless Chromium: cold (fresh profile) and warm (the same profile again: service worker + HTTP cache), on
localhost and through a throttled server (9 Mbit/s shared, 150 ms RTT: bench/throttle.py). Baselines in the
same run and from the same runtime files: the same notebook as a plain `marimo export html-wasm` page, a
bare Pyodide boot (`loadPyodide()` only) and marimo's session in a bare worker (no marimo frontend). The
levers `precompile_python` and `slim_wheels` are measured on the plain export: on the site's runtime, and
on the same runtime built with the lever off. Then where the time goes (marimo's worker messages).

Times are from navigation start. "First content": the animation frame that first shows a non-empty notebook
output (the notebook page's snapshot of the build-time outputs, or marimo's own output area), watched from
the start of parsing.
"Interactive": marimo's first `completed-run` after Python booted (sliders answer from then on).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mplat.gallery.thumbnails import CHROMIUM_ARGS  # the flags the build's own browser uses

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK = "solar_calculator.py"
SLUG = "solar-calculator"
CHROMIUM = "/usr/bin/chromium"
THROTTLED_BITS_PER_S, THROTTLED_RTT_S = 9e6, 0.150
BOOT_TIMEOUT_MS = int(os.environ.get("BENCH_BOOT_TIMEOUT_MS", "400000"))

# Runs in every frame before page scripts: records (epoch ms) the first notebook output on screen and
# marimo's worker messages, into the top window's __boot.
PROBE = r"""(() => {
  const now = () => performance.timeOrigin + performance.now();
  const rec = (key) => { try { const b = (window.top.__boot = window.top.__boot || {}); if (!(key in b)) b[key] = now(); } catch (e) {} };
  const shows = (sel) => [...document.querySelectorAll(sel)].some((e) => e.innerText.trim() !== '');
  let painting = false;
  const check = () => {
    if (shows('.output-area')) rec('marimo_output');  // drawn by marimo's frontend in the frame
    if (!painting && shows('.output-area, .mplat-snapshot')) {  // or by the page's snapshot
      painting = true;
      requestAnimationFrame(() => rec('first_content'));  // the frame that paints it
    }
    return shows('.output-area');
  };
  // From the start of parsing (DOMContentLoaded would wait for the page's scripts).
  const obs = new MutationObserver(() => { if (check()) obs.disconnect(); });
  obs.observe(document, { subtree: true, childList: true, characterData: true });
  const RealWorker = window.Worker;
  window.Worker = function (url, options) {
    const w = new RealWorker(url, options);
    if (/\/worker-[\w-]+\.js/.test(String(url)) && !/save-worker/.test(String(url))) {
      rec('worker_created');
      w.addEventListener('message', (e) => {
        const d = e.data, m = d && d.data && typeof d.data === 'object' ? d.data : d;
        if (!m) return;
        if (m.id === 'ready') rec('worker_ready');
        if (m.id === 'initialized') rec('python_ready');
        const text = m.id === 'kernelMessage' && m.payload && m.payload.message;
        if (typeof text === 'string' && text.includes('"cell-op"')) rec('first_cell_op');
        if (typeof text === 'string' && text.includes('"completed-run"')) rec('interactive');
      });
    }
    return w;
  };
  window.Worker.prototype = RealWorker.prototype;
})();"""

BARE_PYODIDE = """<!doctype html><meta charset="utf-8"><title>bare Pyodide</title><body>
<script type="module">
const started = performance.timeOrigin + performance.now();
const { loadPyodide } = await import("../runtime/pyodide.mjs");
await loadPyodide({ indexURL: new URL("../runtime/", location.href).href });
window.__boot = { ...(window.__boot || {}), python_ready: performance.timeOrigin + performance.now(),
                  interactive: performance.timeOrigin + performance.now(), script_start: started };
document.body.append("ready");
</script>"""


# marimo's session without marimo's frontend: a module worker doing what marimo's worker does (load Pyodide
# with marimo's boot set, create_session, instantiate, run) from the site's runtime. It lives in apps/assets/
# like marimo's worker, so the notebook's `mo.notebook_location()` is apps/ and its data files resolve.
SESSION_WORKER = """const runtime = new URL("../../runtime/", location.href).href;
const { loadPyodide } = await import(`${runtime}pyodide.mjs`);
const py = await loadPyodide({ indexURL: runtime, lockFileURL: `${runtime}pyodide-lock.json`,
  packages: ["micropip", "msgspec", "marimo-base", "markdown", "pymdown-extensions", "narwhals", "packaging"] });
const code = await (await fetch("../../bench/notebook.py")).text();
py.FS.writeFile("/home/pyodide/notebook.py", code);
await py.loadPackagesFromImports(`import docutils, pygments, jedi, pyodide_http\n${code}`);
await py.runPythonAsync(`
import asyncio, pyodide_http
pyodide_http.patch_all()
from marimo._pyodide.bootstrap import create_session, instantiate
messages = []
session, bridge = create_session(filename="/home/pyodide/notebook.py", query_params={},
                                 message_callback=messages.append, user_config={})
`);
postMessage("python_ready");
await py.runPythonAsync(`
instantiate(session, True)
task = asyncio.create_task(session.start())
while not any('"op": "completed-run"' in m for m in messages):
    await asyncio.sleep(0.01)
`);
postMessage("interactive");
"""
SESSION_PAGE = """<!doctype html><meta charset="utf-8"><title>marimo session, bare worker</title><body>
<script>
const now = () => performance.timeOrigin + performance.now();
window.__boot = { worker_created: now() };
const worker = new Worker("../apps/assets/bench-session-worker.js", { type: "module" });
worker.onmessage = (e) => { window.__boot[e.data] = now(); };
</script>"""


@dataclass(frozen=True)
class Load:
    variant: str
    network: str
    cache: str
    first_content: float | None  # seconds from navigation start
    interactive: float | None
    phases: dict[str, float]
    megabytes: float


def _env() -> dict[str, str]:
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def _project(root: Path) -> Path:
    """The real project with one demo notebook, pre-computed outputs on, no thumbnails (not measured here)."""
    root.mkdir(parents=True)
    for name in ("docs", "src", "data", "node_modules"):
        (root / name).symlink_to(REPO / name)
    demos = root / "notebooks" / "demos"
    demos.mkdir(parents=True)
    shutil.copy2(REPO / "notebooks" / "demos" / NOTEBOOK, demos / NOTEBOOK)
    (demos / "public").symlink_to((REPO / "notebooks" / "demos" / "public").resolve())
    config = (REPO / "mkdocs.yml").read_text()
    config = re.sub(r"\n\s+precompute_outputs:.*", "", config)
    config = config.replace(
        "  - mplat-gallery:\n",
        f"  - mplat-gallery:\n      cache_dir: {root / '.cache'}\n      precompute_outputs: true\n"
        '      thumbnails_browser: ""\n',
        1,
    )
    (root / "mkdocs.yml").write_text(config)
    wheels = REPO / ".cache" / "plugin" / "mplat-gallery" / "wheels"
    if wheels.is_dir():
        shutil.copytree(wheels, root / ".cache" / "wheels")
    return root


def _build(project: Path, folder: str = "site") -> Path:
    site = project / folder
    result = subprocess.run(
        [str(BIN / "mkdocs"), "build", "--site-dir", str(site)],
        cwd=project, env=_env(), capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return site


# The site's runtime with one lever off, each at site/<folder>/ for a plain export page on it.
RUNTIME_VARIANTS = {
    "runtime-source": "precompile_python: false",  # no bytecode: Pyodide compiles every import
    "runtime-full": "slim_wheels: false",  # wheels as published, with files a notebook never reads
}


def _add_runtime_variants(project: Path, site: Path) -> None:
    config = project / "mkdocs.yml"
    original = config.read_text()
    for folder, option in RUNTIME_VARIANTS.items():
        config.write_text(
            original.replace("  - mplat-gallery:\n", f"  - mplat-gallery:\n      {option}\n", 1)
        )
        try:
            variant_site = _build(project, f"site-{folder}")
        finally:
            config.write_text(original)
        shutil.copytree(variant_site / "runtime", site / folder)


def _add_baselines(project: Path, site: Path) -> None:
    """A plain export of the same notebook on the site's runtime and on the source-only runtime, and a bare
    Pyodide page on the site's runtime files."""
    from mplat.gallery.export import patch_page, runtime_attributes

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plain.html"
        subprocess.run(
            [str(BIN / "marimo"), "export", "html-wasm", str(project / "notebooks" / "demos" / NOTEBOOK),
             "-o", str(out), "--mode", "run"],
            env=_env(), check=True, capture_output=True, cwd=project / "notebooks" / "demos",
        )  # fmt: skip
        exported = out.read_text(encoding="utf-8")
        for name, runtime in (
            (f"plain-{SLUG}", "../runtime/"),
            (f"plain-source-{SLUG}", "../runtime-source/"),
            (f"plain-full-{SLUG}", "../runtime-full/"),
        ):
            html = patch_page(exported, runtime_attributes(runtime))
            (site / "apps" / f"{name}.html").write_text(html, encoding="utf-8")
    (site / "bench").mkdir(exist_ok=True)
    (site / "bench" / "bare-pyodide.html").write_text(BARE_PYODIDE, encoding="utf-8")
    (site / "bench" / "marimo-session.html").write_text(SESSION_PAGE, encoding="utf-8")
    (site / "bench" / "notebook.py").write_bytes((project / "notebooks" / "demos" / NOTEBOOK).read_bytes())
    (site / "apps" / "assets" / "bench-session-worker.js").write_text(SESSION_WORKER, encoding="utf-8")


def _load(page, url: str, network: str) -> tuple[float | None, float | None, dict[str, float], float]:  # type: ignore[no-untyped-def]
    received = [0]
    page.context.on(
        "response", lambda r: received.__setitem__(0, received[0] + int(r.headers.get("content-length") or 0))
    )
    page.goto(url, wait_until="commit")
    try:
        page.wait_for_function(
            "window.__boot && window.__boot.interactive", timeout=BOOT_TIMEOUT_MS, polling=100
        )
    except Exception as error:  # noqa: BLE001 - one stuck load is reported in its row, not the whole section lost
        print(
            f"[bench_boot] {url} ({network}): no completed run within {BOOT_TIMEOUT_MS / 1000:.0f} s: {error}"
        )
    time.sleep(0.3)
    origin = page.evaluate("performance.timeOrigin")
    boot = {k: (v - origin) / 1000 for k, v in page.evaluate("window.__boot").items()}
    return boot.get("first_content"), boot.get("interactive"), boot, received[0] / 1e6


def _measure(site: Path) -> list[Load]:
    from playwright.sync_api import sync_playwright

    from mplat.gallery.preview import SiteServer

    from .throttle import SharedLink, throttled_handler

    link = SharedLink(THROTTLED_BITS_PER_S, THROTTLED_RTT_S)
    servers = {
        "localhost": SiteServer(site).start(),
        "throttled": SiteServer(site, handler_base=throttled_handler(link)).start(),
    }
    pages = {
        "mplat (pre-computed, gate, worker)": f"gallery/{SLUG}/",
        "plain marimo export, bytecode runtime": f"apps/plain-{SLUG}.html",
        "plain marimo export, source runtime": f"apps/plain-source-{SLUG}.html",
        "plain marimo export, bytecode runtime, unslimmed wheels": f"apps/plain-full-{SLUG}.html",
        "marimo session in a bare worker (no marimo frontend)": "bench/marimo-session.html",
        "bare Pyodide": "bench/bare-pyodide.html",
    }
    loads: list[Load] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for network, server in servers.items():
                for variant, path in pages.items():
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    context.add_init_script(PROBE)
                    for cache in ("cold", "warm"):
                        page = context.new_page()
                        first, ready, phases, mb = _load(page, server.url + path, network)
                        loads.append(Load(variant, network, cache, first, ready, phases, mb))
                        print(f"[bench_boot] {variant}, {network}, {cache}: {first=} {ready=}", flush=True)
                        if cache == "cold" and "mplat" in variant:  # let the worker take over and cache
                            page.wait_for_function(
                                "navigator.serviceWorker.controller !== null", timeout=120_000
                            )
                            time.sleep(5)
                        if cache == "cold" and network == "throttled":
                            link.wait_idle()  # background downloads done: the warm load has the link alone
                        page.close()
                    context.close()
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    return loads


def _tree_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def _runtime_bytes(site: Path) -> list[tuple[str, float]]:
    lock = json.loads((site / "runtime" / "pyodide-lock.json").read_text())
    sizes = [
        (f, (site / "runtime" / f).stat().st_size / 1e6) for f in ("pyodide.asm.wasm", "python_stdlib.zip")
    ]
    for name, pkg in lock["packages"].items():
        sizes.append((name, (site / "runtime" / pkg["file_name"]).stat().st_size / 1e6))
    return sorted(sizes, key=lambda item: -item[1])


def run() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(Path(tmp) / "project")
        started = time.perf_counter()
        site = _build(project)
        build_s = time.perf_counter() - started
        _add_runtime_variants(project, site)
        _add_baselines(project, site)
        loads = _measure(site)
        sizes = _runtime_bytes(site)
        runtime_mb = {name: _tree_mb(site / name) for name in ("runtime", *RUNTIME_VARIANTS)}

    rows = [
        f"| {x.variant} | {x.network} | {x.cache} | {_s(x.first_content)} | {_s(x.interactive)} | {x.megabytes:.1f} |"
        for x in loads
    ]
    phase_keys = [
        "marimo_output",
        "worker_created",
        "worker_ready",
        "python_ready",
        "first_cell_op",
        "interactive",
    ]
    phase_rows = [
        f"| {x.variant} | {x.network} | {x.cache} | "
        + " | ".join(_s(x.phases.get(k)) for k in phase_keys)
        + " |"
        for x in loads
        if x.variant != "bare Pyodide"
    ]
    size_rows = [f"| {name} | {mb:.1f} |" for name, mb in sizes[:8]]
    return "\n".join(
        [
            "## Notebook boot: first content and time to interactive (issue 6)",
            "",
            f"Notebook `{NOTEBOOK}` built by the pipeline with pre-computed outputs ({build_s:.0f} s build). "
            "Headless Chromium, one run each; cold = fresh profile, warm = the same profile again (service "
            "worker and HTTP cache). Throttled = the server sends every response, the service worker's included, "
            "through one shared 9 Mbit/s link, each a 150 ms round trip late (bench/throttle.py; DevTools' "
            "page throttling would let a service worker's own fetches run at full speed). MB = response bytes the page saw (content-length; worker-served responses "
            "included). Baselines use the same runtime files.",
            "",
            "| Page | Network | Cache | First content | Interactive | MB |",
            "|---|---|---|---:|---:|---:|",
            *rows,
            "",
            "Where the time goes (seconds from navigation start): marimo's frontend shows its first output "
            "(for this site, the page's own snapshot of the outputs comes first), marimo's kernel worker created, its "
            "`ready` message (worker script loaded), `initialized` (Pyodide + marimo's packages loaded), the "
            "first cell operation, the first completed run. For the bare worker, Python ready = marimo's "
            "session created (Pyodide, marimo's packages and the notebook's loaded).",
            "",
            "| Page | Network | Cache | marimo's first output | Worker created | Worker ready | Python ready "
            "| First cell op | Interactive |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|",
            *phase_rows,
            "",
            "Levers, each against the plain export on the site's runtime: bytecode for Pyodide's Python "
            "(`precompile_python`; the source-runtime row has it off) and wheels without the files a notebook "
            "never reads (`slim_wheels`; the unslimmed row has it off). Runtime folder: "
            f"{runtime_mb['runtime']:.1f} MB as shipped, {runtime_mb['runtime-source']:.1f} MB without bytecode, "
            f"{runtime_mb['runtime-full']:.1f} MB unslimmed. The bare-worker row runs marimo's session (same "
            "runtime, same notebook) without marimo's frontend: the difference to the plain export is what "
            "marimo's page and worker protocol add.",
            "",
            "Largest runtime downloads (MB):",
            "",
            "| File / package | MB |",
            "|---|---:|",
            *size_rows,
        ]
    )
