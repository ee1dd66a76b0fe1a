"""Our boot controller for marimo's WebAssembly worker: one Pyodide load per notebook, started with the page.

marimo 0.25.2 lets a page replace its worker's boot: when the page sets `window.__MARIMO_HAS_WASM_CONTROLLER__`
before marimo mounts, marimo names its kernel worker `marimo::controller`, and the worker
(`assets/worker-*.js`, function `el`) imports `/wasm/controller.js?version=…` and calls that module's
`bootstrap` / `mountFilesystem` / `startSession` instead of its own controller's, falling back to its own
when the import fails. The controller is `app/controller.js`, published as `apps/mplat-controller.js`.

What the build does for it (docs/gallery.md, "Boot"):

- **The import, made relative** (`rewrite_worker`). The worker's specifier is root-absolute, which would
  miss the controller under a sub-path (`/demos/`) and, on a first visit, before the service worker
  controls the page. The build rewrites it in marimo's worker asset to `../mplat-controller.js` (relative
  to the worker: `apps/mplat-controller.js`), and adds one line that imports it as soon as the worker
  starts. The pattern must be found exactly once: a marimo upgrade that changes it fails the build.
- **A plan per notebook** (`boot_plan`): the packages of one boot — marimo's boot set plus the notebook's own
  packages, without jedi, parso and docutils (editing features a read-only app never uses; the controller
  installs them if something imports them later) — and the runtime files they are. Wheels are `archives`:
  imported from the wheel, not extracted file by file (`app/worker_boot.py`, the Python the controller runs
  in the worker), extension modules included (`imported_from_archive`), and of a large wheel only its boot
  slice (`slices`: slices.py); what needs a shared-library package, if any, one `loadPyodide` call loads.
- **The page** (`add_boot_script`): `window.MPLAT_BOOT` (the plan) before the notebook gate, which starts
  marimo's kernel worker at once with the plan in its name, instead of after marimo's ~300 page scripts.
- **plotly.js and MathJax after the runtime** (`defer_plot_chunk`, and `mathjax` in the plan): marimo loads its
  Plot chunk (4.6 MB) and MathJax as soon as it draws a pre-computed chart; on a cold load over a slow link they
  would share the link with the runtime. The lazy import of the chunk is rewritten to wait for the page's
  `mplatAfterRuntime()` (the gate resolves it when the worker has the runtime's files, or after the first run
  when Python is restored from a memory snapshot: memory_snapshot.py; at once when Python is not coming); the
  gate holds MathJax likewise. Again asserted to occur exactly once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.resources import files
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .errors import GalleryError
from .export import MATHJAX_LOCAL
from .model import Notebook
from .precompile import GENERATED_CODE, STDLIB_PREFIX
from .slices import SLICE_INDEX

CONTROLLER_FILE = "mplat-controller.js"  # in apps/, beside the pages (revalidated, not cached for good)
# The worker's name is "marimo::controller" + SEPARATOR + the plan as JSON.
SEPARATOR = " mplat-boot:"
# What marimo's own controller loads before a session (its loadPyodide packages), plus pyodide-http, which
# marimo imports when its kernel launches.
MARIMO_BOOT = (
    "micropip", "msgspec", "marimo-base", "markdown", "pymdown-extensions", "narwhals", "packaging",
    "pyodide-http",
)  # fmt: skip
# Code completion and docstrings (editing features): loaded only when something imports them.
DEFERRED = ("jedi", "parso", "docutils")
# Pyodide's core files fetched with fetch() (pyodide.mjs and pyodide.asm.mjs are imported as modules).
CORE_FETCHED = ("pyodide.asm.wasm", "python_stdlib.zip")

# In marimo's worker asset: `import(`/wasm/controller.js?version=${e}`)`.
_CONTROLLER_IMPORT = re.compile(r"import\(`/wasm/controller\.js\?version=\$\{\w+\}`\)")
_RELATIVE_IMPORT = f"import(`../{CONTROLLER_FILE}`)"
# Prepended to the worker: the controller starts loading with the worker, not when marimo's page sends its
# bootstrap message (same specifier as above: one module instance); until it has loaded, the page's messages
# are kept for it in self.mplatInbox (the gate's session inputs arrive first). And the stored memory snapshot
# (memory_snapshot.py; the plan's `memorySnapshot` names its cache and file) starts being read at once, as
# self.mplatSnapshot ({bytes: ArrayBuffer or null, failed}): in the worker's first moment (~0.5 s after
# navigation), not once the controller has loaded, nor from the page, whose thread is busy with marimo's
# scripts then (the page's read arrived ~1 s after navigation).
_EARLY_SNAPSHOT_READ = (
    "self.mplatSnapshot = (() => { try {"
    f" const plan = JSON.parse(self.name.slice(self.name.indexOf({json.dumps(SEPARATOR)}) + {len(SEPARATOR)}));"
    " const entry = plan.memorySnapshot;"
    ' if (!entry || typeof caches === "undefined") return null;'
    " return caches.open(entry.cache).then((cache) => cache.match(new URL(entry.file, plan.indexURL).href))"
    ".then((found) => (found ? found.arrayBuffer() : null))"
    ".then((bytes) => ({ bytes, failed: false }), () => ({ bytes: null, failed: true }));"
    " } catch (e) { return null; } })()"
)
_EARLY_IMPORT = (
    f'self.name.includes("{SEPARATOR}") && (self.mplatInbox = [], '
    'self.addEventListener("message", (e) => self.mplatInbox && self.mplatInbox.push(e)), '
    f"{_EARLY_SNAPSHOT_READ}, "
    f"{_RELATIVE_IMPORT}.catch(() => {{}}));\n"
)
# The first line of a worker asset an earlier build rewrote (maybe with another version of this line).
_EARLY_PREFIX = f'self.name.includes("{SEPARATOR}") && ('


# In marimo's main asset: the Plot chunk's lazy import, `()=>wo(()=>import(`./Plot-….js`).then(…),…)`.
_PLOT_IMPORT = re.compile(
    r"\(\)=>(\w+\(\(\)=>import\(`\./Plot-[\w-]+\.js`\)\.then\(\w+=>\(\{default:\w+\.Plot\}\)\),"
    r"__vite__mapDeps\(\[[\d,]*\]\),import\.meta\.url\))"
)
_AFTER_RUNTIME = "(self.mplatAfterRuntime?self.mplatAfterRuntime():Promise.resolve()).then(()=>{})"


def _template() -> str:
    return files("mplat.gallery").joinpath("app", "controller.js").read_text(encoding="utf-8")


def controller_source() -> str:
    worker_boot = files("mplat.gallery").joinpath("app", "worker_boot.py").read_text(encoding="utf-8")
    config = {
        "separator": SEPARATOR,
        "deferred": list(DEFERRED),
        "marimoBoot": list(MARIMO_BOOT),
        "workerBoot": worker_boot,
        "generatedCode": f"{STDLIB_PREFIX}/{GENERATED_CODE}",  # the build's, if it made any
        "sliceIndex": SLICE_INDEX,
    }
    marker = "/*MPLAT_CONTROLLER_CONFIG*/ null"
    source = _template()
    if marker not in source:
        raise GalleryError("app/controller.js has lost its /*MPLAT_CONTROLLER_CONFIG*/ marker")
    return source.replace(marker, json.dumps(config), 1)


def kernel_worker(assets_dir: Path) -> Path:
    """marimo's kernel worker asset: the one `worker-*.js` that imports a controller."""
    found = [p for p in sorted(assets_dir.glob("worker-*.js")) if "/wasm/controller.js" in p.read_text()]
    if len(found) != 1:
        raise GalleryError(
            f"expected one marimo kernel worker (assets/worker-*.js importing /wasm/controller.js) in "
            f"{assets_dir}, found {len(found)}; is the marimo version supported (controller.py)?"
        )
    return found[0]


def rewrite_worker(source: str) -> str:
    """marimo's worker asset with the controller import relative to it, and started with the worker."""
    first, _, rest = source.partition("\n")
    if first.startswith(_EARLY_PREFIX):  # already rewritten (a worker asset shared with an earlier build)
        return _EARLY_IMPORT + rest
    rewritten, count = _CONTROLLER_IMPORT.subn(_RELATIVE_IMPORT, source)
    if count != 1:
        raise GalleryError(
            f"marimo's worker asset imports its controller {count} times in the expected form "
            "(import(`/wasm/controller.js?version=${…}`)), not once: this marimo version's controller hook "
            "differs from the one mplat's controller was written for (controller.py)"
        )
    return _EARLY_IMPORT + rewritten


def defer_plot_chunk(source: str) -> str:
    """marimo's main asset with its Plot chunk loaded only once the page's `mplatAfterRuntime()` resolves."""
    if _AFTER_RUNTIME in source:
        return source
    rewritten, count = _PLOT_IMPORT.subn(lambda m: f"()=>{_AFTER_RUNTIME}.then(()=>{m.group(1)})", source)
    if count != 1:
        raise GalleryError(
            f"marimo's main asset loads its Plot chunk {count} times in the expected form, not once: this "
            "marimo version differs from the one mplat's controller was written for (controller.py)"
        )
    return rewritten


def _rewrite(path: Path, change: Callable[[str], str]) -> None:
    text = change(path.read_text(encoding="utf-8"))
    path.unlink()  # a hard link into the export cache: never change the cached copy
    path.write_text(text, encoding="utf-8")


def install_controller(apps_dir: Path) -> str:
    """Write apps/mplat-controller.js and rewrite marimo's worker to use it; returns the worker's path
    relative to apps/ (the gate starts it)."""
    worker = kernel_worker(apps_dir / "assets")
    _rewrite(worker, rewrite_worker)
    plots = [p for p in sorted((apps_dir / "assets").glob("index-*.js")) if "./Plot-" in p.read_text()]
    if len(plots) != 1:
        raise GalleryError(
            f"expected one marimo main asset (assets/index-*.js) loading the Plot chunk, found {len(plots)}; "
            "is the marimo version supported (controller.py)?"
        )
    _rewrite(plots[0], defer_plot_chunk)
    (apps_dir / CONTROLLER_FILE).write_text(controller_source(), encoding="utf-8")
    return worker.relative_to(apps_dir).as_posix()


def closure(lock: dict, roots: Iterable[str]) -> list[str]:
    """`roots` and what they depend on, without following an edge from a non-deferred package into a
    deferred one (marimo-base → jedi); the controller drops the same edges from the lockfile."""
    seen: set[str] = set()
    todo = [r for r in roots if r in lock]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for dep in lock[name].get("depends", []):
            if dep in lock and (dep not in DEFERRED or name in DEFERRED):
                todo.append(dep)
    return sorted(seen)


def notebook_packages(lock: dict, notebook: Notebook) -> list[str]:
    """The lockfile's packages a notebook asks for: by its imports and its PEP 723 dependencies."""
    by_import = {imp: name for name, entry in lock.items() for imp in entry.get("imports", [])}
    names = {by_import[m] for m in notebook.imports if m in by_import}
    for spec in notebook.dependencies:
        try:
            name = canonicalize_name(Requirement(spec).name)
        except InvalidRequirement:
            continue  # reported by the runtime stage
        if name in lock:
            names.add(name)
    return sorted(names)


def imported_from_archive(lock: dict, name: str) -> bool:
    """A wheel the controller imports from its archive instead of having Pyodide's loadPackage extract it.
    A wheel with extension modules qualifies too (msgspec, which marimo's runtime imports): its `.so` files
    are extracted and Python's import loads them (Emscripten's dlopen, synchronous in a worker), which
    spares the boot Pyodide's package loader altogether. Not a shared-library package, nor a wheel that needs
    one: those must be loaded globally first, which only loadPackage does."""
    entry = lock[name]
    shared = [entry, *(lock[d] for d in entry.get("depends", []) if d in lock)]
    return (
        entry["file_name"].endswith(".whl")
        and entry.get("package_type", "package") == "package"
        and not any(
            e.get("shared_library", False) or e.get("package_type") == "shared_library" for e in shared
        )
    )


def boot_plan(
    lockfile: bytes,
    notebook: Notebook,
    worker: str,
    runtime_url: str,
    slices: Mapping[str, tuple[str, str]] | None = None,
    data: Sequence[str] = (),
    memory_snapshot: dict | None = None,
) -> dict:
    """What the notebook's page gives the controller: its packages and the runtime files to fetch at once
    (paths relative to the runtime folder); URLs relative to the page. `slices`: package → its boot slice
    (file, sha256; slices.py), fetched instead of the wheel for a package imported from its archive.
    `data`: the data files the notebook's first run reads (URLs relative to the page), fetched once the
    runtime is in, so that the run finds them in the browser's cache rather than waiting for the link.
    `memory_snapshot`: the site's entry (memory_snapshot.py), or None: every visit starts Python."""
    lock = json.loads(lockfile)["packages"]
    packages = closure(lock, [*MARIMO_BOOT, *notebook_packages(lock, notebook)])
    archives = [name for name in packages if imported_from_archive(lock, name)]
    sliced = {name: list(slices[name]) for name in archives if slices and name in slices}
    return {
        "separator": SEPARATOR,
        "worker": worker,
        "runtime": runtime_url,
        "packages": packages,
        "archives": archives,
        "slices": sliced,
        "files": [*CORE_FETCHED, *(sliced[n][0] if n in sliced else lock[n]["file_name"] for n in packages)],
        # marimo's plotly output loads MathJax: held until the runtime is in (the gate), for such notebooks only
        "mathjax": MATHJAX_LOCAL if "plotly" in notebook.imports else None,
        "data": list(data),
        # a snapshot holds no package Pyodide's loader loaded (a shared library's): such a plan has none, and
        # its page neither reads nor makes one
        "memorySnapshot": memory_snapshot if len(archives) == len(packages) else None,
    }


def plan_json(plan: dict) -> str:
    """The plan as the page carries it: compact JSON, safe inside a <script>."""
    return json.dumps(plan, separators=(",", ":")).replace("</", "<\\/")


def boot_script(plan: dict) -> str:
    """The page's part, before the notebook gate: marimo's controller hook on, and the plan."""
    data = plan_json(plan)
    return (
        "<script data-mplat-boot>window.__MARIMO_HAS_WASM_CONTROLLER__ = true; "
        f"window.MPLAT_BOOT = {data};</script>\n"
    )


def add_boot_script(html: str, plan: dict) -> str:
    """Insert the boot script right before the notebook gate (which reads it)."""
    marker = "<script data-mplat-gate>"
    if html.count(marker) != 1:
        raise GalleryError("the notebook page has no notebook gate to start the controller's worker")
    return html.replace(marker, boot_script(plan) + marker, 1)
