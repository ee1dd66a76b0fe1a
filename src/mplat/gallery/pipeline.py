"""Run the stages in order. `prepare` does all the work that can fail and writes nothing into the site;
`write_site` then places the results, so a failed build leaves a previous `site/` untouched.

Strict builds stop on the first bad notebook; non-strict builds leave it out and report it
(the gallery shows a warning card for it).
"""

from __future__ import annotations

import importlib.metadata
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import pages
from .app_page import BRAND_HASH, AppPageOptions, app_head, brand_app_html, write_brand_stylesheet
from .check import check_notebooks
from .controller import add_boot_script, boot_plan, install_controller, kernel_worker
from .discover import discover
from .errors import NotebookError
from .export import ExportRequest, ExportResult, export_notebooks, write_apps
from .model import BuildReport, BuildTimings, Notebook
from .pwa import AppIdentity, app_page_transform
from .runtime import RuntimeBundle, RuntimeRequest, cached_runtime, library_dirs, write_runtime
from .thumbnails import ThumbnailJob, make_thumbnails

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
    app_page: AppPageOptions = field(default_factory=AppPageOptions)
    app: AppIdentity = AppIdentity(name="Demos", short_name="Demos")  # the installed app's name


@dataclass
class PreparedGallery:
    request: GalleryRequest
    notebooks: list[Notebook]
    exports: ExportResult
    runtime: RuntimeBundle
    thumbnails: dict[str, Path]
    skipped: list[pages.SkippedNotebook]
    report: BuildReport


def export_options(request: GalleryRequest) -> tuple[str, ...]:
    """`marimo export html-wasm` options. `--execute --no-sandbox` runs the notebook at build time in this
    environment (marimo's sandbox would want a download; NOTES §1)."""
    return ("--mode", "run", *(("--execute", "--no-sandbox") if request.precompute_outputs else ()))


def marimo_version() -> str:
    return importlib.metadata.version("marimo")


def _library_paths(request: GalleryRequest) -> tuple[Path, ...]:
    return library_dirs(request.source_dir, request.browser_libraries)


class _Skipper:
    """Raises in strict builds; records and leaves the notebook out in non-strict ones."""

    def __init__(self, strict: bool, log: Callable[[str], None]) -> None:
        self.strict, self.log = strict, log
        self.skipped: list[pages.SkippedNotebook] = []

    def __call__(self, exc: NotebookError) -> None:
        if self.strict:
            raise exc
        path = Path(str(exc.path))
        self.log(f"WARNING skipping {path.name}: {exc.reason}")
        self.skipped.append(pages.SkippedNotebook(path.stem.lower().replace("_", "-"), path, exc.reason))

    def drop(self, notebooks: list[Notebook], slugs: set[str]) -> list[Notebook]:
        return [nb for nb in notebooks if nb.slug not in slugs]


def prepare(request: GalleryRequest, log: Callable[[str], None] = print) -> PreparedGallery:
    timings: dict[str, float] = {}
    skip = _Skipper(request.strict, log)
    version = marimo_version()

    started = time.perf_counter()
    notebooks = discover(request.notebooks_dir, on_error=skip)
    problems = check_notebooks(notebooks, request.cache_dir, version)
    for slug in sorted(problems):
        skip(problems[slug])
    notebooks = skip.drop(notebooks, set(problems))
    timings["check"] = time.perf_counter() - started

    started = time.perf_counter()
    extra_inputs = _library_paths(request) + ((request.data_dir,) if request.data_dir else ())
    exports = export_notebooks(
        ExportRequest(
            notebooks=tuple(notebooks),
            cache_dir=request.cache_dir,
            marimo_version=version,
            options=export_options(request),
            extra_inputs=tuple(p for p in extra_inputs if p.exists()),
            concurrency=request.concurrency,
        ),
        progress=log,
    )
    for slug in sorted(exports.failed):
        skip(exports.failed[slug])
    notebooks = skip.drop(notebooks, set(exports.failed))
    timings["export"] = time.perf_counter() - started

    started = time.perf_counter()
    while True:  # non-strict: a notebook whose packages cannot be had is dropped, the rest re-resolved
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
            break
        except NotebookError as exc:
            skip(exc)
            notebooks = [nb for nb in notebooks if nb.path != exc.path]
    timings["runtime"] = time.perf_counter() - started
    size_mb = sum(p.size for p in runtime.packages) / 1e6
    how = "unchanged, reused" if reused else "resolved"
    log(f"runtime: {len(runtime.packages)} packages, {size_mb:.1f} MB of wheels ({how})")

    started = time.perf_counter()
    prepared = PreparedGallery(request, notebooks, exports, runtime, {}, skip.skipped, BuildReport())
    # A thumbnail shows the exported page with the brand's CSS: a change to either takes it again.
    jobs = [ThumbnailJob(nb, f"{exports.keys[nb.slug]}-{BRAND_HASH}") for nb in notebooks]
    prepared.thumbnails, rendered = make_thumbnails(
        jobs,
        request.cache_dir,
        stage_site=lambda stage: _write_apps_and_runtime(prepared, stage),
        browser_path=request.thumbnails_browser,
        outputs_in_page=request.precompute_outputs,
        log=log,
    )
    timings["thumbnails"] = time.perf_counter() - started
    prepared.report = BuildReport(
        notebooks=notebooks,
        exported=list(exports.exported),
        thumbnails=rendered,
        packages=list(runtime.packages),
        runtime_reused=reused,
        timings=BuildTimings(**timings),
    )
    return prepared


def _write_apps_and_runtime(prepared: PreparedGallery, site_dir: Path) -> None:
    request = prepared.request
    head = app_head(request.app_page)
    install_and_gate = app_page_transform(request.app)  # install tags; Save-Data/slow-link gate
    runtime_url = f"../{RUNTIME_DIR}/"
    # Our boot controller (controller.py): each page gets its notebook's plan, before the gate that uses it.
    worker = f"assets/{kernel_worker(prepared.exports.frontend_dir / 'assets').name}"
    plans = {
        nb.slug: boot_plan(prepared.runtime.lockfile, nb, worker, runtime_url) for nb in prepared.notebooks
    }
    write_apps(
        prepared.exports,
        site_dir / APPS_DIR,
        runtime_url=runtime_url,
        mathjax_source=request.mathjax_file,
        transform_html=lambda slug, html: add_boot_script(
            install_and_gate(slug, brand_app_html(html, head, request.app_page.language)), plans[slug]
        ),
    )
    install_controller(site_dir / APPS_DIR)
    write_brand_stylesheet(site_dir / APPS_DIR)
    write_runtime(prepared.runtime, site_dir / RUNTIME_DIR)
    if request.data_dir is not None and request.data_dir.is_dir():
        shutil.copytree(request.data_dir, site_dir / DATA_URL_DIR, dirs_exist_ok=True)


def thumbnail_urls(prepared: PreparedGallery) -> dict[str, str | None]:
    return {slug: pages.thumbnail_url(slug) for slug in prepared.thumbnails}


def write_site(prepared: PreparedGallery, site_dir: Path) -> None:
    started = time.perf_counter()
    _write_apps_and_runtime(prepared, site_dir)
    for slug, path in prepared.thumbnails.items():
        dest = site_dir / pages.thumbnail_url(slug)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    downloads = site_dir / pages.DOWNLOADS_DIR
    downloads.mkdir(parents=True, exist_ok=True)
    for nb in prepared.notebooks:
        shutil.copy2(nb.path, downloads / f"{nb.slug}.py")
    (site_dir / "gallery.json").write_text(
        pages.gallery_json(prepared.notebooks, thumbnail_urls(prepared)), encoding="utf-8"
    )
    prepared.report.timings = replace(prepared.report.timings, pages=time.perf_counter() - started)
