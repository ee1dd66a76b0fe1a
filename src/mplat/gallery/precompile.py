"""Python bytecode compiled at build time for Pyodide's own Python, so the browser imports without compiling.

Without it, every module a notebook session imports (the standard library, marimo, docutils, jedi,
plotly…) is compiled from source in the browser on every page load; with the files cached, that is
most of the boot (docs/ipad.md). Only Pyodide's interpreter writes bytecode it accepts (Python 3.14 is
not installed on the build machine), so both steps run in the Pyodide runtime itself under Node.js
(`node/precompile.mjs`):

1. **Trace**: each notebook runs once the way marimo's WebAssembly worker runs it (create the session,
   run every cell); the files of the modules imported by then are what a page load compiles.
2. **Compile** those files to unchecked-hash `.pyc` (valid whatever the installed files' timestamps,
   identical bytes for identical sources) and add them to their archives, sources kept:
   `__pycache__/<module>.cpython-314.pyc` in wheels (site-packages layout), `<module>.pyc` beside
   `<module>.py` in `python_stdlib.zip` (zipimport's layout). Only traced modules are compiled: bytecode
   compresses worse than source, and compiling every file would double the runtime download. It is
   compiled without column positions (`-X no_debug_ranges`, PEP 657): 18 % smaller compressed, ~1.4 MB
   less per cold load; a traceback through library code keeps its line numbers and loses only the `^^^`
   markers under them (a notebook's own cells are compiled in the browser and keep them).
3. **Generated code**: importing marimo also compiles code Python generates at run time, which no `.pyc`
   holds: the methods of ~280 dataclasses (from text, by `dataclasses`) and ~400 regular expressions
   (by `re`'s pure-Python compiler; one URL pattern alone takes 0.1 s). The trace records both; they are
   compiled here and shipped in the standard-library zip as `GENERATED_CODE` (marshal), which the
   kernel worker's boot installs in front of both compilers (`app/worker_boot.py`): about a third of
   marimo's import time. A miss (a pattern or dataclass no trace saw) compiles as before.
4. **Data reads**: the trace also lists the files of the notebook's data folder (`public/`) its first run
   opens; the boot plan names them and the controller fetches them while Python starts (controller.py).

Both results are cached under the cache folder: a trace by the modules the notebook imports (its import
statements, so editing a cell's code or text does not trace it again), its data and every archive's hash;
a compiled archive by its source hash and the files compiled. A module a trace missed (say, a marimo
submodule a newly used `mo.` function loads) is still compiled in the browser, as without this step.
"""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mplat.files import atomic_path, digest_paths, sha256_file, write_atomic

from .errors import GalleryError
from .tools import find_tool, tool_env
from .wheels import ZIP_EPOCH, record_line

# Bump when the trace or the compiled layout changes: cached results of an older format are not reused.
PRECOMPILE_FORMAT = 7
STDLIB_ZIP = "python_stdlib.zip"
# In the standard-library zip: the generated code of step 3 (read by app/worker_boot.py, which is given its path).
GENERATED_CODE = "__mplat__/generated_code.marshal"
SCRIPT = Path(__file__).with_name("node") / "precompile.mjs"
# Defines the generated code's format: compiled by it here (under Pyodide), installed by it in the browser.
WORKER_BOOT = Path(__file__).with_name("app") / "worker_boot.py"
# Where archives are installed in the browser (recorded in tracebacks).
SITE_PACKAGES = "/lib/python3.14/site-packages"
STDLIB_PREFIX = "/lib/python314.zip"
# Imported by marimo's worker before a session (loadNotebookDeps), and by `mplat.energy.io` when a
# notebook reads its data over HTTP in the browser (the trace reads files instead).
WORKER_IMPORTS = ("micropip", "pyodide_http", "docutils", "pygments", "jedi", "urllib.request")
TRACE_TIMEOUT_S = 180


@dataclass(frozen=True)
class PrecompileRequest:
    archives: tuple[Path, ...]  # the standard-library zip and every wheel of the runtime
    notebooks: tuple[Path, ...]  # traced to find what a page load imports
    pyodide_dir: Path  # the npm `pyodide` package
    cache_dir: Path
    data_dir: Path | None = None  # published beside the notebooks as `public/`


@dataclass(frozen=True)
class _Archive:
    path: Path
    sha: str
    folder: str  # its unpacked copy, relative to the work folder (mounted at /work)

    @property
    def is_stdlib(self) -> bool:
        return self.path.name == STDLIB_ZIP

    def browser_prefix(self) -> str:
        return STDLIB_PREFIX if self.is_stdlib else SITE_PACKAGES


@dataclass(frozen=True)
class Precompiled:
    archives: dict[Path, Path]  # each archive → its copy with compiled bytecode (itself if nothing was)
    imported: dict[Path, tuple[str, ...]]  # each archive → the `.py` members a page load imports
    reads: dict[Path, tuple[str, ...]]  # each notebook → the files of its data folder its first run reads


def precompile(request: PrecompileRequest, log: Callable[[str], None] = lambda _: None) -> Precompiled:
    """Each archive's copy with compiled bytecode, and what a page load imports from it."""
    archives = [_Archive(p, sha256_file(p), f"a{i}") for i, p in enumerate(request.archives)]
    cache = request.cache_dir / "compiled" / _runtime_id(request.pyodide_dir)
    with _Workspace(cache) as work:
        wanted, generated, reads = _traced(request, archives, cache, work, log)
        jobs: list[tuple[_Archive, list[str], Path]] = []
        result = {a.path: a.path for a in archives}
        for archive in archives:
            files = sorted(wanted.get(archive.sha, ()))
            if not files:
                continue
            key = _digest([PRECOMPILE_FORMAT, archive.sha, files, generated if archive.is_stdlib else None])
            target = cache / "archives" / key / archive.path.name
            result[archive.path] = target
            if not target.is_file():
                jobs.append((archive, files, target))
        if jobs:
            log(f"runtime: compiling {sum(len(f) for _, f, _ in jobs)} modules of {len(jobs)} archives")
            for archive, _, _ in jobs:
                work.unpack(archive)
            spec = [
                {
                    "dir": f"/work/{a.folder}",
                    "prefix": a.browser_prefix(),
                    "legacy": a.is_stdlib,
                    "files": files,
                }
                for a, files, _ in jobs
            ]
            stdlib = next((a for a, _, _ in jobs if a.is_stdlib), None)
            generate = {}
            if stdlib is not None and any(generated.values()):
                output = f"/work/{stdlib.folder}/{GENERATED_CODE}"
                generate = {
                    "generate": {**generated, "output": output, "worker_boot": WORKER_BOOT.read_text()}
                }
            work.run(request.pyodide_dir, {"compile": spec, **generate})
            for archive, _, target in jobs:
                _repack(archive.path, work.root / archive.folder, target)
    imported = {a.path: tuple(sorted(wanted.get(a.sha, ()))) for a in archives}
    return Precompiled(result, imported, reads)


def _runtime_id(pyodide_dir: Path) -> str:
    """The interpreter that compiles: its bytecode format is what the cache entries are valid for."""
    info = json.loads((pyodide_dir / "pyodide-lock.json").read_text())["info"]
    return f"pyodide-{info.get('version', '?')}-py{info.get('python', '?')}"


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:24]


def _traced(
    request: PrecompileRequest,
    archives: list[_Archive],
    cache: Path,
    work: _Workspace,
    log: Callable[[str], None],
) -> tuple[dict[str, set[str]], dict[str, list], dict[Path, tuple[str, ...]]]:
    """What some notebook's page load compiles: archive hash → its `.py` files (archive-relative), the
    generated code ({"dataclass_sources": [...], "patterns": [[text, is_bytes, flags], ...]}), and each
    notebook's reads of its data folder."""
    data_digest = digest_paths([request.data_dir]) if request.data_dir else ""
    everything = sorted(a.sha for a in archives)
    traces: dict[Path, dict] = {}  # {"modules": {archive hash: files}, "generated": {...}, "reads": [...]}
    todo: list[tuple[Path, Path]] = []
    for nb in request.notebooks:
        key = _digest([PRECOMPILE_FORMAT, WORKER_IMPORTS, trace_imports(nb), data_digest, everything])
        cached = cache / "traces" / f"{key}.json"
        if cached.is_file():
            traces[nb] = json.loads(cached.read_text())
        else:
            todo.append((nb, cached))
    if todo:
        log(f"runtime: tracing what {len(todo)} notebook(s) import at load (Pyodide under Node.js)")
        wheels = [a for a in archives if not a.is_stdlib]
        for archive in wheels:
            work.unpack(archive)
        jobs = []
        for i, (nb, _) in enumerate(todo):
            folder = work.root / f"nb{i}"
            folder.mkdir()
            shutil.copy2(nb, folder / nb.name)
            if request.data_dir is not None and request.data_dir.is_dir():
                shutil.copytree(request.data_dir, folder / "public")
            jobs.append(
                {
                    "notebook": f"/work/nb{i}/{nb.name}",
                    "paths": [f"/work/{a.folder}" for a in wheels],
                    "imports": list(WORKER_IMPORTS),
                    "timeout_s": TRACE_TIMEOUT_S,
                }
            )
        out = work.run(request.pyodide_dir, {"trace": jobs})
        for (nb, cached), trace in zip(todo, out["traces"], strict=True):
            if not trace["completed"]:
                log(
                    f"WARNING {nb.name}: did not finish running under Node.js; only its imports so far are compiled"
                )
            traced = {
                "modules": _by_archive(trace["modules"], archives),
                "generated": trace["generated"],
                "reads": trace["reads"],
            }
            cached.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(
                cached, json.dumps(traced, sort_keys=True)
            )  # builds sharing the cache may run at once
            traces[nb] = traced
    wanted: dict[str, set[str]] = {}
    sources: dict[str, None] = {}
    patterns: dict[tuple, None] = {}
    for traced in traces.values():
        for sha, files in traced["modules"].items():
            wanted.setdefault(sha, set()).update(files)
        sources.update(dict.fromkeys(traced["generated"]["dataclass_sources"]))
        patterns.update(dict.fromkeys(tuple(p) for p in traced["generated"]["patterns"]))
    generated: dict[str, list] = {
        "dataclass_sources": sorted(sources),
        "patterns": sorted(map(list, patterns)),
    }
    reads = {nb: tuple(traced["reads"]) for nb, traced in traces.items()}
    return wanted, generated, reads


def trace_imports(notebook: Path) -> list[str] | str:
    """What a trace of `notebook` depends on in the notebook itself: the modules its code imports (or, if it
    does not parse, its bytes; the build's check has reported that by then)."""
    try:
        tree = ast.parse(notebook.read_bytes(), filename=str(notebook))
    except (SyntaxError, ValueError):
        return sha256_file(notebook)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(f"{'.' * node.level}{node.module or ''}.{alias.name}" for alias in node.names)
    return sorted(names)


def _by_archive(module_files: list[str], archives: list[_Archive]) -> dict[str, list[str]]:
    """Group traced module files (interpreter paths) by the archive they came from."""
    prefixes = {(STDLIB_PREFIX if a.is_stdlib else f"/work/{a.folder}") + "/": a for a in archives}
    grouped: dict[str, list[str]] = {}
    for path in module_files:
        if not path.endswith(".py"):
            continue  # extension modules and frozen modules: nothing to compile
        for prefix, archive in prefixes.items():
            if path.startswith(prefix):
                grouped.setdefault(archive.sha, []).append(path[len(prefix) :])
                break
    return {sha: sorted(files) for sha, files in grouped.items()}


class _Workspace:
    """A scratch folder (mounted at /work in Pyodide) holding unpacked archives and notebook copies."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.unpacked: set[str] = set()

    def __enter__(self) -> _Workspace:
        self.cache.mkdir(parents=True, exist_ok=True)
        self._tmp = tempfile.TemporaryDirectory(dir=self.cache, prefix="work-")
        self.root = Path(self._tmp.name)
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()

    def unpack(self, archive: _Archive) -> None:
        if archive.folder not in self.unpacked:
            with zipfile.ZipFile(archive.path) as zf:
                zf.extractall(self.root / archive.folder)
            self.unpacked.add(archive.folder)

    def run(self, pyodide_dir: Path, spec: dict) -> dict:
        node = find_tool("node", "install Node.js: the build runs the Pyodide runtime under it")
        spec_file, output = self.root / "spec.json", self.root / "result.json"
        output.unlink(missing_ok=True)
        spec_file.write_text(
            json.dumps(
                {"pyodide": str(pyodide_dir.resolve()), "work": str(self.root), "output": str(output), **spec}
            )
        )
        result = subprocess.run(
            [node, str(SCRIPT), str(spec_file)], capture_output=True, text=True, env=tool_env(), timeout=1800
        )
        if result.returncode != 0 or not output.is_file():
            # Node.js quotes the (minified, one-line) source of the failing JavaScript: keep the readable lines.
            readable = "\n".join(line for line in result.stderr.strip().splitlines() if len(line) < 400)
            raise GalleryError(
                "compiling Python bytecode with Pyodide under Node.js failed (set the gallery option "
                f"`precompile_python: false` to ship sources only):\n{readable[-2000:]}"
            )
        return json.loads(output.read_text())


def _repack(source: Path, unpacked: Path, target: Path) -> None:
    """Write `source`'s entries unchanged plus the `.pyc` files compiled into `unpacked` and the generated
    code, if written there (RECORD updated)."""
    made = [*sorted(unpacked.rglob("*.pyc")), unpacked / GENERATED_CODE]
    added = {p.relative_to(unpacked).as_posix(): p.read_bytes() for p in made if p.is_file()}
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        atomic_path(target) as part,  # a half-written archive never lands in the cache
        zipfile.ZipFile(source) as src,
        zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        record = next(
            (n for n in src.namelist() if n.endswith(".dist-info/RECORD") and n.count("/") == 1), None
        )
        for info in src.infolist():
            if info.filename not in added and info.filename != record:
                out.writestr(info, src.read(info.filename))
        for name, data in added.items():
            _write(out, name, data)
        if record is not None:  # a wheel: its RECORD lists every file with its hash
            lines = [
                ln for ln in src.read(record).decode().splitlines() if ln and not ln.startswith(f"{record},")
            ]
            lines += [record_line(name, data) for name, data in added.items()]
            _write(out, record, ("\n".join([*lines, f"{record},,"]) + "\n").encode())


def _write(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    entry = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)  # fixed time: the same bytes for the same content
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    zf.writestr(entry, data)
