"""Run the stages in order. `prepare` does all the work that can fail and writes nothing into the site;
`write_site` then places the results, so a failed build leaves a previous `site/` untouched."""

from __future__ import annotations

import importlib.metadata
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import pages
from .check import check_notebooks
from .discover import discover
from .export import ExportRequest, ExportResult, export_notebooks, write_apps
from .model import BuildReport, BuildTimings, Notebook
from .runtime import RuntimeBundle, RuntimeRequest, resolve_runtime, write_runtime

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


@dataclass
class PreparedGallery:
    request: GalleryRequest
    notebooks: list[Notebook]
    exports: ExportResult
    runtime: RuntimeBundle
    report: BuildReport = field(default_factory=BuildReport)


def marimo_version() -> str:
    return importlib.metadata.version("marimo")


def _library_paths(request: GalleryRequest) -> tuple[Path, ...]:
    if request.source_dir is None:
        return ()
    return tuple(request.source_dir.joinpath(*lib.split(".")) for lib in request.browser_libraries)


def prepare(request: GalleryRequest, log: Callable[[str], None] = print) -> PreparedGallery:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    notebooks = discover(request.notebooks_dir)
    check_notebooks(notebooks)
    timings["check"] = time.perf_counter() - started

    started = time.perf_counter()
    extra_inputs = _library_paths(request) + ((request.data_dir,) if request.data_dir else ())
    exports = export_notebooks(
        ExportRequest(
            notebooks=tuple(notebooks),
            cache_dir=request.cache_dir,
            marimo_version=marimo_version(),
            extra_inputs=tuple(p for p in extra_inputs if p.exists()),
            concurrency=request.concurrency,
        ),
        progress=log,
    )
    timings["export"] = time.perf_counter() - started

    started = time.perf_counter()
    runtime = resolve_runtime(
        RuntimeRequest(
            notebooks=tuple(notebooks),
            pyodide_dir=request.pyodide_dir,
            cache_dir=request.cache_dir / "wheels",
            marimo_version=marimo_version(),
            pyodide_dist_url=request.pyodide_dist_url,
            local_libraries=request.browser_libraries,
            source_dir=request.source_dir,
            project_version=request.project_version,
        )
    )
    timings["runtime"] = time.perf_counter() - started
    size_mb = sum(p.size for p in runtime.packages) / 1e6
    log(f"runtime: {len(runtime.packages)} packages, {size_mb:.1f} MB of wheels")
    report = BuildReport(
        notebooks=notebooks,
        exported=list(exports.exported),
        packages=list(runtime.packages),
        timings=BuildTimings(**timings),
    )
    return PreparedGallery(request, notebooks, exports, runtime, report)


def write_site(
    prepared: PreparedGallery, site_dir: Path, thumbnails: dict[str, str | None] | None = None
) -> None:
    started = time.perf_counter()
    request = prepared.request
    write_apps(
        prepared.exports,
        site_dir / APPS_DIR,
        runtime_url=f"../{RUNTIME_DIR}/",
        mathjax_source=request.mathjax_file,
    )
    write_runtime(prepared.runtime, site_dir / RUNTIME_DIR)
    if request.data_dir is not None and request.data_dir.is_dir():
        shutil.copytree(request.data_dir, site_dir / DATA_URL_DIR, dirs_exist_ok=True)
    (site_dir / "gallery.json").write_text(
        pages.gallery_json(prepared.notebooks, thumbnails or {}), encoding="utf-8"
    )
    prepared.report.timings = replace(prepared.report.timings, pages=time.perf_counter() - started)
