"""Run the stages in order. `prepare` does all the work that can fail and writes nothing into the site;
`write_site` then places the results, so a failed build leaves a previous `site/` untouched.

Strict builds stop on the first bad notebook; non-strict builds leave it out and report it
(the gallery shows a warning card for it).
"""

from __future__ import annotations

import importlib.metadata
import posixpath
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import pages, server_tier
from .app_page import (
    BRAND_HASH,
    AppPageOptions,
    app_head,
    app_page_transform,
    brand_app_html,
    write_brand_stylesheet,
)
from .check import check_notebooks
from .controller import add_boot_script, boot_plan, controller_source, install_controller, kernel_worker
from .discover import code_digest, discover, slugify
from .errors import NotebookError
from .export import ExportRequest, ExportResult, export_notebooks, latest_export, write_apps
from .memory_snapshot import SnapshotLibrary, memory_snapshot_plan, write_snapshot_libraries
from .model import BuildReport, BuildTimings, Notebook, SkippedNotebook
from .parsed_notebook import parsed_entry
from .pwa import AppIdentity
from .runtime import RuntimeBundle, RuntimeRequest, cached_runtime, library_dirs, write_runtime
from .thumbnails import SNAPSHOT_SCRIPT, ThumbnailJob, cached_path, make_thumbnails, stand_ins

RUNTIME_DIR = "runtime"  # site-relative folder of the shared Pyodide runtime
APPS_DIR = "apps"
DATA_URL_DIR = "apps/public"  # marimo's convention: mo.notebook_location() / "public"


@dataclass(frozen=True)
class GalleryRequest:
    notebooks_dir: Path
    cache_dir: Path
    pyodide_dir: Path
    pyodide_dist_url: str
    mathjax_file: Path | None = None
    data_dir: Path | None = None
    source_dir: Path | None = None
    browser_libraries: tuple[str, ...] = ()
    concurrency: int = 2
    project_version: str = "0.0.0"
    strict: bool = True
    thumbnails_browser: str | None = "/usr/bin/chromium"  # None: generated cards only
    # Outputs computed at build time (CPython) are in each page: shown before Python boots, and the
    # thumbnails are taken from them without starting Python.
    precompute_outputs: bool = False
    precompile_python: bool = True  # bytecode for Pyodide's Python shipped beside the sources
    slim_wheels: bool = True  # third-party files a browser notebook never reads left out (slim.py)
    # Later visits start Python from a memory snapshot the first visit's boot made (memory_snapshot.py)
    memory_snapshot: bool = True
    app_page: AppPageOptions = field(default_factory=AppPageOptions)
    app: AppIdentity = AppIdentity(name="Demos", short_name="Demos")  # the installed app's name
    # `mkdocs serve`: a save must reload the page within seconds, so what is slow and not cached yet is
    # left for a full build (the plugin runs one in the background after the reload): outputs computed at
    # build time (an export without them stands in), thumbnails and server previews (the previous ones).
    quick: bool = False
    # Server notebooks (server_tier.py): cards and build-time previews; "Open" goes to `server_url`.
    server_notebooks_dir: Path | None = None
    server_url: str = ""  # normalised (ends with "/"); empty: no server, previews only


@dataclass
class PreparedGallery:
    request: GalleryRequest
    notebooks: list[Notebook]
    exports: ExportResult
    runtime: RuntimeBundle
    thumbnails: dict[str, Path]
    skipped: list[SkippedNotebook]
    report: BuildReport
    server_notebooks: list[Notebook] = field(default_factory=list)

    @property
    def all_notebooks(self) -> list[Notebook]:
        """Browser notebooks, then server notebooks: the gallery's order."""
        return self.notebooks + self.server_notebooks


QUICK_EXPORT_OPTIONS = ("--mode", "run")  # no outputs computed at build time: about a second a notebook


def export_options(request: GalleryRequest) -> tuple[str, ...]:
    """`marimo export html-wasm` options. `--execute --no-sandbox` runs the notebook at build time in this
    environment (marimo's sandbox would want a download; NOTES §1)."""
    return ("--mode", "run", *(("--execute", "--no-sandbox") if request.precompute_outputs else ()))


def marimo_version() -> str:
    return importlib.metadata.version("marimo")


def _library_paths(request: GalleryRequest) -> tuple[Path, ...]:
    return library_dirs(request.source_dir, request.browser_libraries)


class StageTimer:
    """The wall time of each build stage, measured in one place: `with timer("export"): ...`; `timings()`
    returns them as `BuildTimings` (a stage name that is not one of its fields is an error)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started

    def timings(self, earlier: BuildTimings | None = None) -> BuildTimings:
        return replace(earlier or BuildTimings(), **self.seconds)


class _Skipper:
    """Raises in strict builds; records and leaves the notebook out in non-strict ones."""

    def __init__(self, strict: bool, log: Callable[[str], None]) -> None:
        self.strict, self.log = strict, log
        self.skipped: list[SkippedNotebook] = []

    def __call__(self, exc: NotebookError) -> None:
        if self.strict:
            raise exc
        path = Path(str(exc.path))
        self.log(f"WARNING skipping {path.name}: {exc.reason}")
        self.skipped.append(SkippedNotebook(slugify(path.stem), path, exc.reason))


@dataclass(frozen=True)
class _Found:
    """The notebooks still in the build: browser notebooks and server notebooks."""

    browser: list[Notebook]
    server: list[Notebook]

    def without(self, problems: Mapping[str, NotebookError], skip: _Skipper) -> _Found:
        """Each problem reported (strict builds stop at the first), its notebook left out."""
        for slug in sorted(problems):
            skip(problems[slug])
        return _Found(
            [nb for nb in self.browser if nb.slug not in problems],
            [nb for nb in self.server if nb.slug not in problems],
        )


class _Checks:
    """`check_notebooks` on a thread of its own: a quick build checks while it exports (two processes on
    two cores), so a notebook with a problem is exported for nothing, then left out as in a full build."""

    def __init__(self, notebooks: list[Notebook], cache_dir: Path, version: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._running = self._pool.submit(check_notebooks, notebooks, cache_dir, version)

    def problems(self) -> dict[str, NotebookError]:
        problems = self._running.result()
        self._pool.shutdown()
        return problems


def prepare(request: GalleryRequest, log: Callable[[str], None] = print) -> PreparedGallery:
    skip = _Skipper(request.strict, log)
    version = marimo_version()
    timer = StageTimer()
    with timer("check"):
        found = _discover(request, skip)
        checks = _Checks(found.browser + found.server, request.cache_dir, version)
        if not request.quick:
            found = found.without(checks.problems(), skip)
    with timer("export"):
        exports, deferred = _export_browser_notebooks(request, found.browser, version, log)
        previews, stale_previews = _export_server_previews(request, found.server, version, log)
        exports, deferred = _merged(exports, previews), deferred or stale_previews
        if request.quick:
            found = found.without(checks.problems(), skip)
        found = found.without(exports.failed, skip)
    with timer("runtime"):
        runtime, reused, notebooks = _resolve_runtime(request, found.browser, version, skip, log)
    size_mb = sum(p.size for p in runtime.packages) / 1e6
    how = "unchanged, reused" if reused else "resolved"
    log(f"runtime: {len(runtime.packages)} packages, {size_mb:.1f} MB of wheels ({how})")
    with timer("thumbnails"):
        prepared = PreparedGallery(
            request, notebooks, exports, runtime, {}, skip.skipped, BuildReport(), found.server
        )
        rendered, stand_ins_only = _make_thumbnails(prepared, log)
    prepared.report = BuildReport(
        notebooks=notebooks,
        exported=list(exports.exported),
        thumbnails=rendered,
        packages=list(runtime.packages),
        runtime_reused=reused,
        timings=timer.timings(),
        deferred=deferred or stand_ins_only,
    )
    return prepared


def _discover(request: GalleryRequest, skip: _Skipper) -> _Found:
    notebooks = discover(request.notebooks_dir, on_error=skip)
    server_notebooks = (
        discover(request.server_notebooks_dir, on_error=skip, tier="server")
        if request.server_notebooks_dir is not None
        else []
    )
    _check_slugs_unique(notebooks, server_notebooks)
    return _Found(notebooks, server_notebooks)


def _export_browser_notebooks(
    request: GalleryRequest, notebooks: list[Notebook], version: str, log: Callable[[str], None]
) -> tuple[ExportResult, bool]:
    """The browser notebooks' exports; True when a quick build left some for a full one (stand-ins)."""
    extra_inputs = _library_paths(request) + ((request.data_dir,) if request.data_dir else ())
    browser_exports = ExportRequest(
        notebooks=tuple(notebooks),
        cache_dir=request.cache_dir,
        marimo_version=version,
        options=export_options(request),
        extra_inputs=tuple(p for p in extra_inputs if p.exists()),
        concurrency=request.concurrency,
    )
    quick = request.quick and browser_exports.options != QUICK_EXPORT_OPTIONS
    exports = export_notebooks(browser_exports, progress=log, only_cached=quick)
    missing = tuple(nb for nb in notebooks if nb.slug not in exports.html)
    if not (quick and missing):
        return exports, False
    # Only the title, description or tags changed: the previous export shows the same notebook.
    same_code = {nb.slug: latest_export(request.cache_dir, nb.slug, code_digest(nb.path)) for nb in missing}
    unchanged = {slug: path for slug, path in same_code.items() if path is not None}
    exports = _merged(exports, _cached_result(exports, unchanged))
    # Code changed: exported without outputs computed at build time, a second, not minutes.
    fast = replace(
        browser_exports,
        notebooks=tuple(nb for nb in missing if nb.slug not in unchanged),
        options=QUICK_EXPORT_OPTIONS,
    )
    return _merged(exports, export_notebooks(fast, progress=log)), True


def _resolve_runtime(
    request: GalleryRequest,
    notebooks: list[Notebook],
    version: str,
    skip: _Skipper,
    log: Callable[[str], None],
) -> tuple[RuntimeBundle, bool, list[Notebook]]:
    """(runtime, reused from the cache, the notebooks it serves). Non-strict: a notebook whose packages
    cannot be had is left out and the rest resolved again."""
    while True:
        try:
            runtime, reused = cached_runtime(
                RuntimeRequest(
                    notebooks=tuple(notebooks),
                    pyodide_dir=request.pyodide_dir,
                    cache_dir=request.cache_dir / "wheels",
                    marimo_version=version,
                    pyodide_dist_url=request.pyodide_dist_url,
                    local_libraries=request.browser_libraries,
                    source_dir=request.source_dir,
                    project_version=request.project_version,
                    precompile=request.precompile_python,
                    slim_wheels=request.slim_wheels,
                    data_dir=request.data_dir,
                ),
                records_dir=request.cache_dir / "runtime",
                log=log,
            )
            return runtime, reused, notebooks
        except NotebookError as exc:
            skip(exc)
            notebooks = [nb for nb in notebooks if nb.path != exc.path]


def _make_thumbnails(prepared: PreparedGallery, log: Callable[[str], None]) -> tuple[list[str], bool]:
    """Sets `prepared.thumbnails`; returns the slugs rendered in this build, and True when a quick build
    showed stand-ins for some (left for a full build)."""
    request, exports = prepared.request, prepared.exports
    # A thumbnail shows the exported page with the brand's CSS: a change to either takes it again.
    # A server notebook's preview always holds its outputs in the page (and Python never starts there).
    jobs = [
        ThumbnailJob(nb, f"{exports.keys[nb.slug]}-{BRAND_HASH}", outputs_in_page=nb.tier == "server" or None)
        for nb in prepared.all_notebooks
    ]
    if request.quick:
        stand_ins_only = any(not cached_path(request.cache_dir, job).exists() for job in jobs)
        prepared.thumbnails = stand_ins(jobs, request.cache_dir)
        return [], stand_ins_only
    prepared.thumbnails, rendered = make_thumbnails(
        jobs,
        request.cache_dir,
        stage_site=lambda stage: _write_apps_and_runtime(prepared, stage),
        browser_path=request.thumbnails_browser,
        outputs_in_page=request.precompute_outputs,
        log=log,
    )
    return rendered, False


def _check_slugs_unique(notebooks: list[Notebook], server_notebooks: list[Notebook]) -> None:
    browser = {nb.slug: nb.path for nb in notebooks}
    for nb in server_notebooks:
        if nb.slug in browser:
            raise NotebookError(
                nb.path,
                f"slug {nb.slug!r} is also used by {browser[nb.slug]} (one gallery page each); rename one",
            )


def _export_server_previews(
    request: GalleryRequest, server_notebooks: list[Notebook], version: str, log: Callable[[str], None]
) -> tuple[ExportResult, bool]:
    """Each server notebook run once at build time on CPython with the sample data: its preview page.
    In a quick build a changed notebook keeps its previous preview (True: some are stale); only a notebook
    that never had one is run now."""
    server_code = request.source_dir / "mplat" / "server" if request.source_dir else None
    inputs = [p for p in (server_code, request.data_dir) if p is not None and p.exists()]
    export = ExportRequest(
        notebooks=tuple(server_notebooks),
        cache_dir=request.cache_dir,
        marimo_version=version,
        options=server_tier.PREVIEW_EXPORT_OPTIONS,
        extra_inputs=tuple(inputs),
        concurrency=request.concurrency,
        environment=server_tier.preview_environment(request.cache_dir, request.data_dir),
    )
    result = export_notebooks(export, progress=log, only_cached=request.quick)
    missing = [nb for nb in server_notebooks if nb.slug not in result.html]
    if not missing:
        return result, False
    previous = {nb.slug: latest_export(request.cache_dir, nb.slug) for nb in missing}
    stale = {slug: path for slug, path in previous.items() if path is not None}
    result = _merged(result, _cached_result(result, stale))
    never = tuple(nb for nb in missing if nb.slug not in stale)
    if never:
        result = _merged(result, export_notebooks(replace(export, notebooks=never), progress=log))
    return result, bool(stale)


def _cached_result(like: ExportResult, html: dict[str, Path]) -> ExportResult:
    """Exports already in the cache (a quick build's stand-ins) as a result to merge."""
    return ExportResult(html, like.frontend_dir, (), {}, {slug: path.stem for slug, path in html.items()})


def _merged(a: ExportResult, b: ExportResult) -> ExportResult:
    return ExportResult(
        html={**a.html, **b.html},
        frontend_dir=a.frontend_dir,
        exported=a.exported + b.exported,
        failed={**a.failed, **b.failed},
        keys={**a.keys, **b.keys},
    )


# In a server notebook's preview page Python never starts: the page shows the outputs computed at build
# time (the notebook gate reads this flag, as for thumbnails).
PREVIEW_ONLY = f"<script data-mplat-preview>{SNAPSHOT_SCRIPT}</script>"


def _preview_only(html: str) -> str:
    return html.replace("<head>", "<head>\n" + PREVIEW_ONLY, 1)


def _write_apps_and_runtime(prepared: PreparedGallery, site_dir: Path) -> None:
    request = prepared.request
    head = app_head(request.app_page)
    install_and_gate = app_page_transform(request.app)  # install tags; Save-Data/slow-link gate
    runtime_url = f"../{RUNTIME_DIR}/"
    # Our boot controller (controller.py): each page gets its notebook's plan, before the gate that uses it.
    worker = f"assets/{kernel_worker(prepared.exports.frontend_dir / 'assets').name}"
    slices = {p.name: p.boot_slice for p in prepared.runtime.packages if p.boot_slice}
    data_url = posixpath.relpath(DATA_URL_DIR, APPS_DIR)  # from the app page
    plans = {
        nb.slug: boot_plan(
            prepared.runtime.lockfile,
            nb,
            worker,
            runtime_url,
            slices,
            data=[f"{data_url}/{name}" for name in prepared.runtime.data_reads.get(nb.slug, ())],
        )
        for nb in prepared.notebooks
    }
    snapshot_libraries: list[SnapshotLibrary] = []
    if request.memory_snapshot and plans:
        shared = set.intersection(*(set(plan["archives"]) for plan in plans.values()))
        memory_snapshot, snapshot_libraries = memory_snapshot_plan(
            prepared.runtime.files, prepared.runtime.lockfile, slices, controller_source(), sorted(shared)
        )
        for plan in plans.values():
            plan["memorySnapshot"] = memory_snapshot
    server_slugs = {nb.slug for nb in prepared.server_notebooks}

    def transform(slug: str, html: str) -> str:
        html = install_and_gate(slug, brand_app_html(html, head, request.app_page.language))
        # A server notebook's preview never starts Python: no boot plan, held for good.
        if slug in server_slugs:
            return _preview_only(html)
        return add_boot_script(html, {**plans[slug], "parsed": parsed_entry(html)})

    write_apps(
        prepared.exports,
        site_dir / APPS_DIR,
        runtime_url=runtime_url,
        mathjax_source=request.mathjax_file,
        transform_html=transform,
    )
    install_controller(site_dir / APPS_DIR)
    write_brand_stylesheet(site_dir / APPS_DIR)
    write_runtime(prepared.runtime, site_dir / RUNTIME_DIR)
    write_snapshot_libraries(snapshot_libraries, site_dir / RUNTIME_DIR)
    if request.data_dir is not None and request.data_dir.is_dir():
        shutil.copytree(request.data_dir, site_dir / DATA_URL_DIR, dirs_exist_ok=True)


def thumbnail_urls(prepared: PreparedGallery) -> dict[str, str | None]:
    return {slug: pages.thumbnail_url(slug) for slug in prepared.thumbnails}


def write_site(prepared: PreparedGallery, site_dir: Path) -> None:
    timer = StageTimer()
    with timer("pages"):
        _write_site(prepared, site_dir)
    prepared.report.timings = timer.timings(prepared.report.timings)


def _write_site(prepared: PreparedGallery, site_dir: Path) -> None:
    _write_apps_and_runtime(prepared, site_dir)
    for slug, path in prepared.thumbnails.items():
        dest = site_dir / pages.thumbnail_url(slug)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    downloads = site_dir / pages.DOWNLOADS_DIR
    downloads.mkdir(parents=True, exist_ok=True)
    for nb in prepared.all_notebooks:
        shutil.copy2(nb.path, downloads / f"{nb.slug}.py")
    (site_dir / "gallery.json").write_text(
        pages.gallery_json(prepared.all_notebooks, thumbnail_urls(prepared), prepared.request.server_url),
        encoding="utf-8",
    )
