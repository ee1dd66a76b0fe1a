"""Notebook boot benchmarks (issues 6, 17): first content and time to interactive.

One demo notebook (the solar calculator), built by the real pipeline with pre-computed outputs, opened in
headless Chromium: cold (fresh profile), then `BENCH_BOOT_REPS` warm loads (default 5, the same profile,
`BENCH_BOOT_GAP_S` apart), each reported as median [min–max]; on localhost and through a throttled server
(9 Mbit/s shared, 150 ms RTT, compressed as CloudFront compresses: bench/throttle.py; cold loads), plus one
cold load of this site's page uncompressed. Baselines in the same run and from the same runtime files: the same notebook
as a plain `marimo export html-wasm` page, a bare Pyodide boot (`loadPyodide()` only) and marimo's session
in a bare worker (no marimo frontend). Then the same warm loads in WebKitGTK (Safari's engine) for this
site, the plain export and bare Pyodide, and where the time goes (marimo's worker messages).

Times are from navigation start. "First content": the animation frame that first shows a non-empty notebook
output (the notebook page's snapshot of the build-time outputs, or marimo's own output area), watched from
the start of parsing. "Interactive": marimo's first `completed-run` after Python booted (sliders answer from
then on). "MB": bytes the server sent until interactive (compressed where compressed), and in brackets what
the service worker's background download added afterwards.

`BENCH_BOOT_WEBKIT=0` leaves out the WebKit rows (they need WebKitWebDriver and Xvfb: `make browsers`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mplat.gallery.controller import plan_json as boot_script_json
from mplat.gallery.thumbnails import CHROMIUM_ARGS  # the flags the build's own browser uses

from .project import BIN, REPO, linked_project, tool_env

NOTEBOOK = "solar_calculator.py"
SLUG = "solar-calculator"
CHROMIUM = "/usr/bin/chromium"
THROTTLED_BITS_PER_S, THROTTLED_RTT_S = 9e6, 0.150
BOOT_TIMEOUT_MS = int(os.environ.get("BENCH_BOOT_TIMEOUT_MS", "400000"))
REPS = int(os.environ.get("BENCH_BOOT_REPS", "5"))  # warm loads per page
GAP_S = float(os.environ.get("BENCH_BOOT_GAP_S", "5"))  # between warm loads, as a reader would
WEBKIT = os.environ.get("BENCH_BOOT_WEBKIT", "1") != "0"
WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
OURS = "mplat (controller, pre-computed outputs)"
NO_SNAPSHOT = "mplat, memory snapshot off"  # the same page, every visit starting Python (memory_snapshot.py)
PLAIN = "plain marimo export"
SESSION = "marimo session in a bare worker (no marimo frontend)"
BARE = "bare Pyodide"
PAGES = {
    OURS: f"gallery/{SLUG}/",
    NO_SNAPSHOT: f"gallery/{SLUG}-no-snapshot/",
    PLAIN: f"apps/plain-{SLUG}.html",
    SESSION: "bench/marimo-session.html",
    BARE: "bench/bare-pyodide.html",
}

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
    cache: str  # "cold" or "warm"
    first_content: float | None  # seconds from navigation start
    interactive: float | None
    phases: dict[str, float]
    megabytes: float  # sent by the server until interactive
    background_mb: float = 0.0  # sent afterwards (the service worker's background download)
    python: str | None = None  # how the notebook's Python started (data-mplat-python: our pages only)


class Traffic:
    """Bytes a server sent (headers and bodies, compressed where compressed) and when it was last busy."""

    def __init__(self) -> None:
        self.sent = 0
        self.in_flight = 0
        self.last = time.monotonic()

    def handler(self, base: type) -> type:
        traffic = self

        class _Counted:
            def __init__(self, raw: object) -> None:
                self.raw = raw

            def write(self, data: bytes) -> int:
                traffic.sent += len(data)
                traffic.last = time.monotonic()
                return self.raw.write(data)  # type: ignore[attr-defined,no-any-return]

            def flush(self) -> None:
                self.raw.flush()  # type: ignore[attr-defined]

            def close(self) -> None:
                self.raw.close()  # type: ignore[attr-defined]

        class Counting(base):  # type: ignore[valid-type,misc]
            def setup(self) -> None:
                super().setup()
                self.wfile = _Counted(self.wfile)  # type: ignore[has-type]

            def handle_one_request(self) -> None:
                traffic.in_flight += 1
                try:
                    super().handle_one_request()
                finally:
                    traffic.in_flight -= 1
                    traffic.last = time.monotonic()

        return Counting

    def wait_idle(self, quiet_s: float = 4.0, timeout_s: float = 600.0) -> None:
        """Until nothing was sent for `quiet_s` (a service worker's background download done)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.in_flight == 0 and time.monotonic() - self.last >= quiet_s:
                return
            time.sleep(0.2)


def _project(root: Path) -> Path:
    """The real project with one demo notebook, pre-computed outputs on, no thumbnails (not measured here)."""
    linked_project(root)
    demos = root / "notebooks" / "demos"
    demos.mkdir(parents=True)
    shutil.copy2(REPO / "notebooks" / "demos" / NOTEBOOK, demos / NOTEBOOK)
    (demos / "public").symlink_to((REPO / "notebooks" / "demos" / "public").resolve())
    config = (REPO / "mkdocs.yml").read_text()
    # Browser notebooks only: the server notebooks' previews (bench_serve covers them) are not measured here.
    config = re.sub(r"\n\s+server_(notebooks_dir|url):.*", "", config)
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
        shutil.copytree(wheels, root / ".cache" / "wheels", symlinks=True)
    return root


def _build(project: Path, folder: str = "site") -> Path:
    site = project / folder
    result = subprocess.run(
        [str(BIN / "mkdocs"), "build", "--site-dir", str(site)],
        cwd=project, env=tool_env(), capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return site


def _add_baselines(project: Path, site: Path) -> None:
    """A plain export of the same notebook on the site's runtime (marimo's own controller: its page does not
    turn the hook on), a bare Pyodide page and marimo's session in a bare worker."""
    from mplat.gallery.export import patch_page, runtime_attributes

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plain.html"
        subprocess.run(
            [str(BIN / "marimo"), "export", "html-wasm", str(project / "notebooks" / "demos" / NOTEBOOK),
             "-o", str(out), "--mode", "run"],
            env=tool_env(), check=True, capture_output=True, cwd=project / "notebooks" / "demos",
        )  # fmt: skip
        html = patch_page(out.read_text(encoding="utf-8"), runtime_attributes("../runtime/"))
        # The probe inline as well, for WebKit (no init scripts there); it records each moment once.
        html = html.replace("<head>", f"<head><script>{PROBE}</script>", 1)
        (site / "apps" / f"plain-{SLUG}.html").write_text(html, encoding="utf-8")
    (site / "bench").mkdir(exist_ok=True)
    (site / "bench" / "bare-pyodide.html").write_text(BARE_PYODIDE, encoding="utf-8")
    (site / "bench" / "marimo-session.html").write_text(SESSION_PAGE, encoding="utf-8")
    (site / "bench" / "notebook.py").write_bytes((project / "notebooks" / "demos" / NOTEBOOK).read_bytes())
    (site / "apps" / "assets" / "bench-session-worker.js").write_text(SESSION_WORKER, encoding="utf-8")
    _add_no_snapshot_page(site)


def _add_no_snapshot_page(site: Path) -> None:
    """Our notebook page with the memory snapshot off (its plan without one), beside the real one."""
    app = (site / "apps" / f"{SLUG}.html").read_text(encoding="utf-8")
    head, marker, rest = app.partition("window.MPLAT_BOOT = ")
    plan_json, end, tail = rest.partition(";</script>")
    plan = json.loads(plan_json) if marker and end else {}
    if not plan.get("memorySnapshot"):
        raise RuntimeError(f"apps/{SLUG}.html has no memory snapshot in its plan")
    plan["memorySnapshot"] = None
    app = head + marker + boot_script_json(plan) + end + tail
    (site / "apps" / f"{SLUG}-no-snapshot.html").write_text(app, encoding="utf-8")
    wrapper = (site / "gallery" / SLUG / "index.html").read_text(encoding="utf-8")
    frame = f'src="../../apps/{SLUG}.html"'
    if frame not in wrapper:
        raise RuntimeError(f"gallery/{SLUG}/index.html does not frame apps/{SLUG}.html")
    folder = site / "gallery" / f"{SLUG}-no-snapshot"
    folder.mkdir(exist_ok=True)
    wrapper = wrapper.replace(frame, f'src="../../apps/{SLUG}-no-snapshot.html"')
    (folder / "index.html").write_text(wrapper, encoding="utf-8")


PYTHON_STARTED_JS = "document.documentElement.getAttribute('data-mplat-python')"


def _python_started(page) -> str | None:  # type: ignore[no-untyped-def]
    """How our page's Python started (made-snapshot, restored, started), from the notebook's frame."""
    for frame in page.frames:
        try:
            if how := frame.evaluate(PYTHON_STARTED_JS):
                return str(how)
        except Exception:  # noqa: BLE001, S112 - a frame gone or cross-origin: not ours
            continue
    return None


def _load(page, url: str, traffic: Traffic) -> tuple[float | None, float | None, dict[str, float], float]:  # type: ignore[no-untyped-def]
    sent_before = traffic.sent
    page.goto(url, wait_until="commit")
    try:
        page.wait_for_function(
            "() => window.__boot && window.__boot.interactive", timeout=BOOT_TIMEOUT_MS, polling=100
        )
    except Exception as error:  # noqa: BLE001 - one stuck load is reported in its row, not the whole section lost
        print(f"[bench_boot] {url}: no completed run within {BOOT_TIMEOUT_MS / 1000:.0f} s: {error}")
    megabytes = (traffic.sent - sent_before) / 1e6
    time.sleep(0.3)
    origin = page.evaluate("performance.timeOrigin")
    boot = {k: (v - origin) / 1000 for k, v in page.evaluate("window.__boot").items()}
    return boot.get("first_content"), boot.get("interactive"), boot, megabytes


def _visit(context, server_url: str, traffic: Traffic, variant: str, network: str, cache: str) -> Load:  # type: ignore[no-untyped-def]
    """One load in a new tab of `context` (a fresh profile for the cold load, the same one after)."""
    page = context.new_page()
    first, ready, phases, mb = _load(page, server_url + PAGES[variant], traffic)
    python = _python_started(page)
    sent = traffic.sent
    if cache == "cold":  # let the service worker take over and finish its background download
        if variant in (OURS, NO_SNAPSHOT):
            page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=120_000)
        traffic.wait_idle(quiet_s=10.0)  # the worker waits 3 s of quiet before its background download
    background = (traffic.sent - sent) / 1e6
    print(f"[bench_boot] {variant}, {network}, {cache}: {first=} {ready=} {mb=:.1f} {python=}", flush=True)
    page.close()
    return Load(variant, network, cache, first, ready, phases, mb, background, python)


def _rounds(
    browser, server_url: str, traffic: Traffic, variants: list[str], network: str, warm: int
) -> list[Load]:  # type: ignore[no-untyped-def]
    """Each variant in its own profile: a cold load, then `warm` rounds of one warm load per variant, in
    turn (a shared machine's load drifts; taking turns gives each page the same share of it)."""
    contexts = {}
    loads = []
    try:
        for variant in variants:
            contexts[variant] = browser.new_context(viewport={"width": 1280, "height": 900})
            contexts[variant].add_init_script(PROBE)
            loads.append(_visit(contexts[variant], server_url, traffic, variant, network, "cold"))
        for _ in range(warm):
            for variant in variants:
                loads.append(_visit(contexts[variant], server_url, traffic, variant, network, "warm"))
                time.sleep(GAP_S / len(variants))
    finally:
        for context in contexts.values():
            context.close()
    return sorted(loads, key=lambda x: variants.index(x.variant))


def _measure(site: Path) -> list[Load]:
    from playwright.sync_api import sync_playwright

    from mplat.gallery.preview import SiteHandler, SiteServer

    from .throttle import SharedLink, throttled_handler

    link = SharedLink(THROTTLED_BITS_PER_S, THROTTLED_RTT_S)
    traffic = Traffic()
    localhost = SiteServer(site, handler_base=traffic.handler(SiteHandler)).start()
    throttled = SiteServer(site, handler_base=traffic.handler(throttled_handler(link))).start()
    raw = SiteServer(site, handler_base=traffic.handler(throttled_handler(link, compress=False))).start()
    loads: list[Load] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            loads += _rounds(browser, localhost.url, traffic, list(PAGES), "localhost", REPS)
            # cold only: the first visit is what a slow link costs (the snapshot is for later visits)
            cold = [v for v in PAGES if v != NO_SNAPSHOT]
            loads += _rounds(browser, throttled.url, traffic, cold, "9 Mbit/s, gzip", 0)
            loads += _rounds(browser, raw.url, traffic, [OURS], "9 Mbit/s, uncompressed", 0)
            browser.close()
    finally:
        for server in (localhost, throttled, raw):
            server.stop()
    return loads


# WebKitGTK: no init scripts, so the time is read from the page: __boot.interactive where a probe or the
# page records it, else the moment the notebook gate marks the page ready (polled in the page every 50 ms).
_WEBKIT_WAIT = """const done = arguments[arguments.length - 1];
const poll = () => {
  const b = window.__boot;
  if (b && b.interactive) return done((b.interactive - performance.timeOrigin) / 1000);
  if (document.documentElement.getAttribute('data-mplat-kernel') === 'ready') return done(performance.now() / 1000);
  setTimeout(poll, 50);
};
poll();"""


def _webkit(site: Path) -> list[Load]:
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    from mplat.gallery.preview import SiteHandler, SiteServer

    traffic = Traffic()
    server = SiteServer(site, handler_base=traffic.handler(SiteHandler)).start()
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=[write_end], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_end)
    display = b""
    while not display.endswith(b"\n") and (chunk := os.read(read_end, 16)):
        display += chunk
    os.close(read_end)
    loads: list[Load] = []
    try:
        for variant in (OURS, NO_SNAPSHOT, PLAIN, BARE):
            options = Options()
            options.add_argument("--automation")
            env = {**os.environ, "DISPLAY": f":{display.decode().strip()}"}
            driver = webdriver.WebKitGTK(
                options=options, service=Service(executable_path=WEBKIT_DRIVER, env=env)
            )
            driver.set_script_timeout(BOOT_TIMEOUT_MS / 1000)
            try:
                for i in range(1 + REPS):
                    sent = traffic.sent
                    driver.get(server.url + PAGES[variant])
                    ready = float(driver.execute_async_script(_WEBKIT_WAIT))
                    cache = "cold" if i == 0 else "warm"
                    loads.append(
                        Load(
                            variant,
                            "WebKitGTK, localhost",
                            cache,
                            None,
                            ready,
                            {},
                            (traffic.sent - sent) / 1e6,
                        )
                    )
                    print(f"[bench_boot] WebKit {variant} {cache}: {ready:.2f} s", flush=True)
                    driver.get("about:blank")
                    if i == 0:
                        traffic.wait_idle()
                    else:
                        time.sleep(GAP_S)
            finally:
                driver.quit()
    finally:
        server.stop()
        xvfb.terminate()
        xvfb.wait(timeout=30)
    return loads


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _spread(values: list[float | None]) -> str:
    """Median [min–max] of the loads that finished; '—' when none did."""
    done = [v for v in values if v is not None]
    if not done:
        return "—"
    if len(done) == 1:
        return f"{done[0]:.2f} s"
    missing = f", {len(values) - len(done)} unfinished" if len(done) < len(values) else ""
    return f"{_median(done):.2f} s [{min(done):.2f}–{max(done):.2f}{missing}]"


def _rows(loads: list[Load]) -> list[tuple[str, str, str, list[Load]]]:
    """(variant, network, cache, loads) in measuring order."""
    groups: dict[tuple[str, str, str], list[Load]] = {}
    for x in loads:
        groups.setdefault((x.variant, x.network, x.cache), []).append(x)
    return [(*key, group) for key, group in groups.items()]


def _figure(loads: list[Load], variant: str, network: str, cache: str) -> float | None:
    values = [x.interactive for x in loads if (x.variant, x.network, x.cache) == (variant, network, cache)]
    done = [v for v in values if v is not None]
    return _median(done) if done else None


def _ratio(loads: list[Load], network: str, cache: str) -> str:
    ours, plain = _figure(loads, OURS, network, cache), _figure(loads, PLAIN, network, cache)
    return "—" if ours is None or plain is None else f"{ours / plain:.2f}×"


def _on_off(loads: list[Load], network: str) -> str:
    on, off = _figure(loads, OURS, network, "warm"), _figure(loads, NO_SNAPSHOT, network, "warm")
    return "—" if on is None or off is None else f"{on / off:.2f}×"


def run() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(Path(tmp) / "project")
        started = time.perf_counter()
        site = _build(project)
        build_s = time.perf_counter() - started
        _add_baselines(project, site)
        loads = _measure(site)
        if WEBKIT and Path(WEBKIT_DRIVER).exists():
            loads += _webkit(site)
    return section(loads, build_s)


def section(loads: list[Load], build_s: float) -> str:
    """The benchmark's Markdown section from its loads."""
    rows = []
    for variant, network, cache, group in _rows(loads):
        mb = _median([x.megabytes for x in group])
        background = _median([x.background_mb for x in group])
        size = f"{mb:.1f}" + (f" (+{background:.1f})" if background >= 0.05 else "")
        python = ", ".join(sorted({x.python for x in group if x.python})) or "—"
        rows.append(
            f"| {variant} | {network} | {cache} | {len(group)} | {_spread([x.first_content for x in group])} "
            f"| {_spread([x.interactive for x in group])} | {size} | {python} |"
        )
    phase_keys = [
        "marimo_output",
        "worker_created",
        "worker_ready",
        "python_ready",
        "first_cell_op",
        "interactive",
    ]
    phase_rows = [
        f"| {variant} | {network} | {cache} | "
        + " | ".join(
            _s(
                _median([x.phases[k] for x in group if k in x.phases])
                if any(k in x.phases for x in group)
                else None
            )
            for k in phase_keys
        )
        + " |"
        for variant, network, cache, group in _rows(loads)
        if variant != BARE and not network.startswith("WebKit")
    ]
    return "\n".join(
        [
            "## Notebook boot: first content and time to interactive (issues 6, 17)",
            "",
            f"Notebook `{NOTEBOOK}` built by the pipeline with pre-computed outputs ({build_s:.0f} s build). "
            f"Headless Chromium (and WebKitGTK where marked): one cold load per page in a fresh profile, then "
            f"{REPS} warm loads in that profile, each in a new tab ({GAP_S:.0f} s apart; in Chromium the pages "
            "take turns, one warm load each per round, so a shared machine's drifting load falls on all "
            "alike); warm figures are the median [min–max] of those loads. 9 Mbit/s = the server sends every response, the service worker's "
            "included, through one shared 9 Mbit/s link, each a 150 ms round trip late, gzip-compressed as "
            "CloudFront compresses (bench/throttle.py); one row uncompressed. MB = bytes the server sent "
            "until interactive (in brackets: sent afterwards, the service worker's background download of "
            "the notebook's files). All pages use the same runtime files; the plain export runs marimo's own "
            "controller. Python = how our page's Python started (memory_snapshot.py): `made-snapshot` (a first "
            "visit: started, and kept a snapshot of marimo's start-up), `restored` (from it), `started` (no "
            "snapshot).",
            "",
            f"Ratios to the plain export (interactive, medians): localhost warm {_ratio(loads, 'localhost', 'warm')}, "
            f"localhost cold {_ratio(loads, 'localhost', 'cold')}, 9 Mbit/s cold "
            f"{_ratio(loads, '9 Mbit/s, gzip', 'cold')}, "
            f"WebKitGTK warm {_ratio(loads, 'WebKitGTK, localhost', 'warm')}. Memory snapshot on / off "
            f"(warm, interactive): localhost {_on_off(loads, 'localhost')}, WebKitGTK "
            f"{_on_off(loads, 'WebKitGTK, localhost')}.",
            "",
            "| Page | Network | Cache | Loads | First content | Interactive | MB | Python |",
            "|---|---|---|---:|---:|---:|---:|---|",
            *rows,
            "",
            "Where the time goes (medians, seconds from navigation start): marimo's frontend shows its first "
            "output (for this site, the page's own snapshot of the outputs comes first), marimo's kernel "
            "worker created (this site starts it with the page), its `ready` message (worker script loaded), "
            "`initialized` (Pyodide + packages loaded), the first cell operation, the first completed run. "
            "For the bare worker, Python ready = marimo's session created.",
            "",
            "| Page | Network | Cache | marimo's first output | Worker created | Worker ready | Python ready "
            "| First cell op | Interactive |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|",
            *phase_rows,
        ]
    )
