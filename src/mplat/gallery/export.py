"""Export notebooks with `marimo export html-wasm`, cached by a content key, into one shared apps folder.

Each notebook is exported in its own scratch folder (exports run concurrently); the HTML is kept in the
cache under its key, and marimo's frontend assets — identical for every notebook of one marimo version —
are kept once. `write_apps` then assembles `apps/` and points every page at the site's own runtime.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mplat.files import digest_paths, link_or_copy, write_atomic

from .discover import code_digest
from .errors import NotebookError
from .model import Notebook
from .tools import marimo_cmd, run

# Files marimo writes beside the HTML that the page references (the rest are not needed).
FRONTEND_EXTRAS = ("favicon.ico", "apple-touch-icon.png", "manifest.json")
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax-full@3.2.2/es5/tex-mml-svg.min.js"
MATHJAX_LOCAL = "vendor/mathjax/tex-mml-svg.js"  # relative to apps/, where the exported pages live
EXPORT_FORMAT_VERSION = "1"  # bump when the way exports are made changes, to invalidate the cache


@dataclass(frozen=True)
class ExportRequest:
    notebooks: tuple[Notebook, ...]
    cache_dir: Path
    marimo_version: str
    options: tuple[str, ...] = ("--mode", "run")
    extra_inputs: tuple[Path, ...] = ()  # files/folders whose change must re-export (libraries, data)
    concurrency: int = 2
    environment: tuple[tuple[str, str], ...] = ()  # variables set for the export (server previews' settings)


@dataclass(frozen=True)
class ExportResult:
    html: dict[str, Path]  # slug → cached HTML
    frontend_dir: Path  # marimo's shared assets for this version
    exported: tuple[str, ...]  # slugs exported now (cache misses)
    failed: dict[str, NotebookError]  # slug → why its export failed
    keys: dict[str, str]  # slug → content key (thumbnails reuse it)


def export_key(nb: Notebook, request: ExportRequest, inputs_digest: str) -> str:
    payload = json.dumps(
        [
            EXPORT_FORMAT_VERSION,
            request.marimo_version,
            list(request.options),
            inputs_digest,
            nb.slug,
            # Folders the export is told about are where, not what: their content is in `extra_inputs`.
            *(
                [[kv for kv in request.environment if not Path(kv[1]).is_absolute()]]
                if request.environment
                else []
            ),
        ]
    ).encode()
    return hashlib.sha256(payload + nb.path.read_bytes()).hexdigest()[:32]


def latest_export(cache_dir: Path, slug: str, code: str | None = None) -> Path | None:
    """The notebook's most recent export with any options (a quick build's stand-in), if it is still cached."""
    pointer = cache_dir / "exports" / f"latest-{slug}"
    if not pointer.is_file():
        return None
    name, _, exported_code = pointer.read_text(encoding="utf-8").partition("\n")
    path = pointer.parent / name
    if code is not None and exported_code.strip() != code:
        return None
    return path if path.is_file() else None


def _remember_latest(target: Path, nb: Notebook) -> None:
    """The notebook's most recent export and the code it was made from (`latest_export`)."""
    write_atomic(target.parent / f"latest-{nb.slug}", f"{target.name}\n{code_digest(nb.path)}\n")


def export_notebooks(
    request: ExportRequest, progress: Callable[[str], None] = lambda _: None, only_cached: bool = False
) -> ExportResult:
    """Export every notebook not in the cache. `only_cached` (quick builds): export nothing, return only the
    cached ones."""
    cache = request.cache_dir / "exports"
    cache.mkdir(parents=True, exist_ok=True)
    frontend_dir = request.cache_dir / "frontend" / request.marimo_version
    inputs_digest = digest_paths(request.extra_inputs)
    keyed = {
        nb.slug: (nb, cache / f"{export_key(nb, request, inputs_digest)}.html") for nb in request.notebooks
    }
    if only_cached:
        keyed = {s: (nb, t) for s, (nb, t) in keyed.items() if t.exists() and frontend_dir.is_dir()}
    todo = [(nb, target) for nb, target in keyed.values() if not target.exists() or not frontend_dir.is_dir()]
    for nb, target in keyed.values():
        if (nb, target) not in todo:
            progress(f"{nb.slug}: unchanged, export cached")

    def one(item: tuple[Notebook, Path]) -> str | NotebookError:
        try:
            return _export_one(*item)
        except NotebookError as exc:
            return exc

    def _export_one(nb: Notebook, target: Path) -> str:
        progress(f"{nb.slug}: exporting…")
        with tempfile.TemporaryDirectory(dir=request.cache_dir) as tmp:
            out = Path(tmp) / f"{nb.slug}.html"
            result = run(
                [*marimo_cmd(), "export", "html-wasm", str(nb.path), "-o", str(out), *request.options],
                cwd=nb.path.parent,
                # `--execute` keeps a session file in `__marimo__/` beside the notebook; under this prefix it
                # goes to the build cache instead of the notebooks' folder (where `mkdocs serve` would see a
                # change, and the server image's build context a stray file).
                environment={
                    **dict(request.environment),
                    "PYTHONPYCACHEPREFIX": str(request.cache_dir / "pycache"),
                },
            )
            if result.returncode != 0 or not out.is_file():
                raise NotebookError(
                    nb.path, f"`marimo export html-wasm` failed:\n{result.stderr.strip()[-2000:]}"
                )
            if not frontend_dir.is_dir():
                # A unique staging folder: other exports, in this build or in another process sharing
                # the cache (parallel test workers, a second `mkdocs build`), may be staging at once.
                frontend_dir.parent.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(dir=frontend_dir.parent, prefix=f"{frontend_dir.name}.tmp-"))
                shutil.copytree(Path(tmp) / "assets", staging / "assets")
                for extra in FRONTEND_EXTRAS:
                    if (Path(tmp) / extra).exists():
                        shutil.copy2(Path(tmp) / extra, staging / extra)
                try:
                    staging.rename(frontend_dir)
                except OSError:  # another export finished first: same files
                    shutil.rmtree(staging, ignore_errors=True)
            out.replace(target)
            _remember_latest(target, nb)
        progress(f"{nb.slug}: exported")
        return nb.slug

    with ThreadPoolExecutor(max_workers=max(1, request.concurrency)) as pool:
        outcomes = list(pool.map(one, todo))
    failed = {
        nb.slug: out for (nb, _), out in zip(todo, outcomes, strict=True) if isinstance(out, NotebookError)
    }
    return ExportResult(
        html={slug: target for slug, (_, target) in keyed.items() if slug not in failed},
        frontend_dir=frontend_dir,
        exported=tuple(out for out in outcomes if isinstance(out, str)),
        failed=failed,
        keys={slug: target.stem for slug, (_, target) in keyed.items()},
    )


def runtime_attributes(runtime_url: str) -> dict[str, str]:
    """`<marimo-wasm>` attributes that make the page load Pyodide and every wheel from the site itself."""
    return {
        "data-pyodide-index-url": runtime_url,
        "data-pyodide-lockfile-url": f"{runtime_url}pyodide-lock.json",
        # micropip's index for anything not in the lockfile: a same-origin path, so an unexpected
        # install fails loudly instead of reaching a third party.
        "data-pypi-index-url": f"{runtime_url}pypi/",
    }


def patch_page(html: str, attributes: dict[str, str], head_extra: str = "") -> str:
    attrs = " ".join(f'{k}="{v}"' for k, v in attributes.items())
    html, count = re.subn(r"<marimo-wasm\b[^>]*>", f'<marimo-wasm hidden="" {attrs}>', html, count=1)
    if count != 1:
        raise ValueError("exported page has no <marimo-wasm> element; is the marimo version supported?")
    if head_extra:
        html = html.replace("</head>", head_extra + "\n</head>", 1)
    return html


def write_apps(
    result: ExportResult,
    apps_dir: Path,
    runtime_url: str,
    mathjax_source: Path | None,
    transform_html: Callable[[str, str], str] = lambda slug, html: html,
) -> None:
    """Assemble `apps/`: one HTML per notebook, the shared assets once, third-party URLs made local."""
    apps_dir.mkdir(parents=True, exist_ok=True)
    assets_out = apps_dir / "assets"
    shutil.copytree(
        result.frontend_dir / "assets", assets_out, dirs_exist_ok=True, copy_function=link_or_copy
    )
    for extra in FRONTEND_EXTRAS:
        src = result.frontend_dir / extra
        if src.exists():
            link_or_copy(src, apps_dir / extra)
    if mathjax_source is not None:
        _localise_mathjax(assets_out, apps_dir / MATHJAX_LOCAL, mathjax_source)
    for slug, html_path in result.html.items():
        html = patch_page(html_path.read_text(encoding="utf-8"), runtime_attributes(runtime_url))
        (apps_dir / f"{slug}.html").write_text(transform_html(slug, html), encoding="utf-8")


def _localise_mathjax(assets_dir: Path, target: Path, source: Path) -> None:
    """plotly's output component loads MathJax from a CDN: serve the same file from the site."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    for js in assets_dir.glob("*.js"):
        text = js.read_text(encoding="utf-8")
        if MATHJAX_CDN in text:
            js.unlink()  # break the hard link to the cache before changing the file
            js.write_text(text.replace(MATHJAX_CDN, MATHJAX_LOCAL), encoding="utf-8")
