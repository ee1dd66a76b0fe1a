"""Memory-snapshot probe (issue 17): restoring an interpreter that has imported marimo's runtime, under Node.js.

Builds the boot benchmark's site, then with the site's own runtime: boots as marimo's worker does (Pyodide
and the notebook's packages), imports marimo's runtime and makes a snapshot, three times; restores the
snapshot three times, each time checking msgspec and running the solar calculator's session from it.
msgspec's extension module is preloaded through Emscripten's `dynamicLibraries` (snapshot_probe.mjs says
why). Not a browser figure: the page does not restore snapshots yet (docs/ipad.md has the Chromium prototype).
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
import zipfile
from pathlib import Path

from .bench_boot import NOTEBOOK, _build, _project  # the same site as the boot benchmark
from .project import REPO

PROBE = Path(__file__).with_name("snapshot_probe.mjs")
ROUNDS = 3


def _plan(site: Path) -> dict:
    html = (site / "apps" / "solar-calculator.html").read_text(encoding="utf-8")
    return json.loads(html.split("window.MPLAT_BOOT = ", 1)[1].split(";</script>", 1)[0])


def _msgspec_library(runtime: Path, target: Path) -> Path:
    lock = json.loads((runtime / "pyodide-lock.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(runtime / lock["packages"]["msgspec"]["file_name"]) as wheel:
        (member,) = [n for n in wheel.namelist() if n.endswith(".so")]
        target.write_bytes(wheel.read(member))
    return target


def _probe(*args: str) -> dict:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("needs `node` on PATH (run `make setup`)")
    out = subprocess.run([node, str(PROBE), *args], capture_output=True, text=True, timeout=600)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"snapshot_probe.mjs {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(lines[-1])


def run() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        site = _build(_project(Path(tmp) / "project"))
        runtime = site / "runtime"
        library = _msgspec_library(runtime, Path(tmp) / "msgspec_core.so")
        snapshot = Path(tmp) / "snapshot.bin"
        packages = json.dumps(_plan(site)["packages"])
        snapshot.with_name("snapshot.bin.packages.json").write_text(packages, encoding="utf-8")
        made = [_probe("make", str(runtime), str(library), str(snapshot), packages) for _ in range(ROUNDS)]
        public = REPO / "notebooks" / "demos" / "public"
        restored = [
            _probe(
                "restore",
                str(runtime),
                str(library),
                str(snapshot),
                str(REPO / "notebooks" / "demos" / NOTEBOOK),
                str(public),
            )
            for _ in range(ROUNDS)
        ]
    return section(made, restored)


def section(made: list[dict], restored: list[dict]) -> str:
    def median(rows: list[dict], key: str) -> str:
        return f"{statistics.median(r[key] for r in rows):.2f} s"

    works = all(r["msgspec"] and r["completed"] and not r["traceback"] for r in restored)
    return "\n".join(
        [
            "## Memory snapshot probe (issue 17, Node.js)",
            "",
            f"The boot benchmark's site and runtime under Node.js; medians of {ROUNDS} processes each. A snapshot "
            "is made after marimo's runtime import, with msgspec's extension preloaded through Emscripten's "
            "`dynamicLibraries` so it sits at the same addresses when restored (bench/snapshot_probe.mjs).",
            "",
            "| step | time |",
            "| --- | ---: |",
            f"| boot: `loadPyodide` + the notebook's packages | {median(made, 'boot')} |",
            f"| import marimo's runtime | {median(made, 'import')} |",
            f"| make the snapshot ({made[-1]['bytes'] / 1e6:.1f} MB) | {median(made, 'make')} |",
            f"| **restore it** ({restored[-1]['modules']} modules already imported) | **{median(restored, 'restore')}** |",
            f"| put the packages' files back (Pyodide's loader; the file system is not in the snapshot) | {median(restored, 'files')} |",
            f"| marimo session + the solar calculator's first run, from the restored interpreter | {median(restored, 'run')} |",
            "",
            "Restored interpreter works (msgspec round trip of a tagged `Struct`, the notebook's run completes "
            f"without a traceback): **{'yes' if works else 'NO'}**.",
        ]
    )
