"""One Pyodide runtime for the whole site: core files, every wheel the notebooks need, one lockfile.

Wheel sources, in order: the download cache; PyPI (pure-Python or Pyodide-platform wheels, via pip);
a pure-Python repack for packages whose C extension is optional (PyYAML); the Pyodide distribution
(configurable URL) for packages that exist only there (numpy, pandas…). Everything is sha256-verified,
stored content-addressed (`packages/<sha256>/<wheel>`) and listed in one `pyodide-lock.json`.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version
from pyodide_lock.spec import InfoSpec, PackageSpec, PyodideLockSpec

from mplat.files import atomic_path, digest_paths, link_or_copy, sha256_file, write_atomic

from .errors import SERVER_TIER_HINT, GalleryError, NotebookError
from .model import Notebook, RuntimePackage
from .precompile import PRECOMPILE_FORMAT, STDLIB_ZIP, PrecompileRequest, precompile
from .slices import SLICE_FORMAT, boot_slice, worth_slicing
from .slim import POLICY as SLIM_POLICY
from .slim import slim
from .tools import tool_env
from .wheels import WheelInfo, is_browser_compatible, read_wheel, repack_pure, write_wheel

PYODIDE_CORE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
# What marimo's worker loads at boot and at session start (see its worker: loadPyodide packages and
# loadNotebookDeps); marimo-base is pinned to the marimo that exported the notebooks.
BOOT_PACKAGES = (
    "micropip", "msgspec>=0.22", "markdown", "pymdown-extensions", "narwhals", "packaging",
    "docutils", "pygments", "jedi", "pyodide-http",
)  # fmt: skip
# Packages whose compiled extension is an optional speed-up: shipped without it.
PURE_FALLBACK = frozenset({"pyyaml"})
# Imports that are part of marimo itself or provided by Pyodide's core.
PROVIDED_IMPORTS = frozenset({"marimo", "pyodide", "js", "micropip", "_pyodide", "pyodide_js"})
_PIP_TARGET = [
    "--only-binary=:all:", "--python-version", "3.14", "--implementation", "cp",
    "--abi", "cp314", "--abi", "abi3", "--abi", "none",
]  # fmt: skip


@dataclass(frozen=True)
class RuntimeRequest:
    notebooks: tuple[Notebook, ...]
    pyodide_dir: Path  # the npm `pyodide` package
    cache_dir: Path  # downloads survive across builds here
    marimo_version: str
    pyodide_dist_url: str  # the full Pyodide distribution, for packages PyPI has no browser wheel of
    local_libraries: tuple[str, ...] = ()  # dotted packages shipped as one dependency-free wheel
    source_dir: Path | None = None  # where local libraries live (e.g. src/)
    project_version: str = "0.0.0"
    # Ship bytecode compiled for Pyodide's Python beside the sources (precompile.py): faster boot.
    precompile: bool = True
    # Leave out the files of third-party wheels a browser notebook never reads (slim.py): smaller, faster.
    slim_wheels: bool = True
    data_dir: Path | None = None  # the notebooks' sample data, read when tracing their imports


@dataclass(frozen=True)
class RuntimeBundle:
    """Files to place under the site's runtime folder (relative path → source file) and the lockfile."""

    files: dict[str, Path]
    lockfile: bytes
    packages: tuple[RuntimePackage, ...]
    # notebook slug → the files of the data folder its first run reads (the bytecode trace saw it open them)
    data_reads: dict[str, tuple[str, ...]] = field(default_factory=dict)


class PackageUnavailable(Exception):
    pass


@dataclass(frozen=True)
class _Need:
    requirement: Requirement
    needed_by: str  # who asked, for error messages
    notebook: Notebook | None = None


class WheelFetcher:
    """Gets one browser-compatible wheel for a requirement into the cache."""

    def __init__(self, cache_dir: Path, stock_lock: dict, dist_url: str) -> None:
        self.pypi_dir = cache_dir / "pypi"
        self.dist_dir = cache_dir / "pyodide-dist"
        self.repack_dir = cache_dir / "repacked"
        for d in (self.pypi_dir, self.dist_dir, self.repack_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.stock = stock_lock["packages"]
        self.dist_url = dist_url if dist_url.endswith("/") else dist_url + "/"

    def fetch(self, req: Requirement) -> Path:
        cached = self._cached(req)
        if cached:
            return cached
        name = canonicalize_name(req.name)
        pip_error = ""
        try:
            return self._pip_download(
                req, ["--platform", "pyemscripten_2026_0_wasm32", "--platform", "any"], self.pypi_dir
            )
        except PackageUnavailable as exc:
            pip_error = str(exc)
        if name in PURE_FALLBACK:
            native = self._pip_download(
                req, ["--platform", "manylinux2014_x86_64"], self.repack_dir / "native"
            )
            return repack_pure(native, self.repack_dir)
        if name in self.stock:
            return self._from_distribution(name)
        raise PackageUnavailable(
            f"no pure-Python or Pyodide wheel of {req} on PyPI, and it is not part of the Pyodide distribution"
            + (f" (pip: {pip_error})" if pip_error else "")
        )

    def _cached(self, req: Requirement) -> Path | None:
        name = canonicalize_name(req.name)
        best: tuple[Version, Path] | None = None
        for d in (self.pypi_dir, self.repack_dir, self.dist_dir):
            for wheel in d.glob("*.whl"):
                wname, version, _, _ = parse_wheel_filename(wheel.name)
                if (
                    wname == name
                    and is_browser_compatible(wheel.name)
                    and req.specifier.contains(version, prereleases=True)
                    and (best is None or version > best[0])
                ):
                    best = (version, wheel)
        return best[1] if best else None

    def _pip_download(self, req: Requirement, platform_args: list[str], dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest) as tmp:
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "--disable-pip-version-check",
                "--dest",
                tmp,
                *_PIP_TARGET,
                *platform_args,
                str(req),
            ]
            result = subprocess.run(cmd, capture_output=True, text=True, env=tool_env(), timeout=600)
            wheels = list(Path(tmp).glob("*.whl"))
            if result.returncode != 0 or not wheels:
                lines = [ln for ln in result.stderr.splitlines() if ln.startswith("ERROR")]
                raise PackageUnavailable("; ".join(lines) or result.stderr.strip()[-300:])
            target = dest / wheels[0].name
            wheels[0].replace(target)  # atomic: a half-downloaded wheel never lands in the cache
            return target

    def _from_distribution(self, name: str) -> Path:
        entry = self.stock[name]
        target = self.dist_dir / entry["file_name"]
        if target.exists() and sha256_file(target) == entry["sha256"]:
            return target
        url = self.dist_url + entry["file_name"]
        try:
            with urllib.request.urlopen(url, timeout=30) as resp:
                data = resp.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise PackageUnavailable(
                f"{name} exists only in the Pyodide distribution, and {url} is unreachable ({exc}). "
                "Set the gallery option `pyodide_dist_url` to a reachable mirror of the Pyodide distribution"
            ) from exc
        with atomic_path(target) as part:
            part.write_bytes(data)
            if sha256_file(part) != entry["sha256"]:
                raise PackageUnavailable(f"{url} does not match the sha256 in Pyodide's lockfile")
        return target


def _stdlib() -> frozenset[str]:
    return frozenset(sys.stdlib_module_names)


def library_dirs(source_dir: Path | None, libraries: tuple[str, ...]) -> tuple[Path, ...]:
    """The package folders of the dotted browser libraries (`mplat.energy` → src/mplat/energy)."""
    if source_dir is None:
        return ()
    return tuple(source_dir.joinpath(*lib.split(".")) for lib in libraries)


def build_local_wheel(request: RuntimeRequest, dest_dir: Path) -> Path | None:
    """One dependency-free wheel holding the project's browser libraries (and their parent packages)."""
    if not request.local_libraries:
        return None
    if request.source_dir is None:
        raise GalleryError("local libraries are configured but no source folder is set")
    files: dict[str, bytes] = {}
    for dotted, pkg_dir in zip(
        request.local_libraries, library_dirs(request.source_dir, request.local_libraries), strict=True
    ):
        parts = dotted.split(".")
        if not (pkg_dir / "__init__.py").is_file():
            raise GalleryError(f"browser library {dotted!r} not found at {pkg_dir} (no __init__.py)")
        for i in range(1, len(parts)):  # parent packages' __init__.py so `import a.b` works
            init = request.source_dir.joinpath(*parts[:i], "__init__.py")
            if init.is_file():
                files["/".join(parts[:i]) + "/__init__.py"] = init.read_bytes()
        for path in sorted(pkg_dir.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                files[path.relative_to(request.source_dir).as_posix()] = path.read_bytes()
    digest = hashlib.sha256(b"".join(k.encode() + v for k, v in sorted(files.items()))).hexdigest()[:12]
    dist = parts[0] + "-browser-libs"
    return write_wheel(dest_dir, dist, f"{request.project_version}+{digest}", files)


RUNTIME_CACHE_FORMAT = 4  # bump when the bundle's content changes for the same inputs


def runtime_key(request: RuntimeRequest) -> str:
    """Everything a bundle depends on. Of each notebook only its dependencies and imports count, as for the
    bytecode trace: an edit that imports nothing new resolves nothing."""
    pyodide = [request.pyodide_dir / "pyodide-lock.json", request.pyodide_dir / "package.json"]
    payload = {
        "format": [RUNTIME_CACHE_FORMAT, [PRECOMPILE_FORMAT, SLICE_FORMAT] if request.precompile else None],
        "slim": SLIM_POLICY if request.slim_wheels else None,
        "marimo": request.marimo_version,
        "dist_url": request.pyodide_dist_url,
        "libraries": [
            list(request.local_libraries),
            request.project_version,
            digest_paths(library_dirs(request.source_dir, request.local_libraries)),
        ],
        "pyodide": digest_paths(p for p in pyodide if p.exists()),
        "data": digest_paths([request.data_dir]) if request.precompile and request.data_dir else None,
        "notebooks": sorted([nb.slug, list(nb.dependencies), sorted(nb.imports)] for nb in request.notebooks),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def cached_runtime(
    request: RuntimeRequest, records_dir: Path, log: Callable[[str], None] = lambda _: None
) -> tuple[RuntimeBundle, bool]:
    """`resolve_runtime`, or the bundle a build with the same `runtime_key` made (its files unchanged);
    returns the bundle and whether it was reused. Failures are not cached. `records_dir` belongs to one
    project's build cache, not to the wheel download cache that projects (and tests) may share."""
    record = records_dir / f"{runtime_key(request)}.json"
    bundle = _read_record(record)
    if bundle is not None:
        return bundle, True
    bundle = resolve_runtime(request, log)
    _write_record(record, bundle)
    return bundle, False


def _stamp(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _read_record(record: Path) -> RuntimeBundle | None:
    """The recorded bundle, or None when there is no record, it is from another version, or one of its
    files was removed or rewritten since (size and mtime differ: someone cleaned or edited the cache)."""
    try:
        saved = json.loads(record.read_text())
        files = {rel: Path(path) for rel, path in saved["files"].items()}
        if any(_stamp(path) != saved["stamps"][rel] for rel, path in files.items()):
            return None
        packages = tuple(
            RuntimePackage(
                **{
                    **p,
                    "imports": tuple(p["imports"]),
                    "depends": tuple(p["depends"]),
                    "boot_slice": tuple(p["boot_slice"]) if p.get("boot_slice") else None,
                }
            )
            for p in saved["packages"]
        )
        reads = {slug: tuple(names) for slug, names in saved["data_reads"].items()}
        return RuntimeBundle(
            files=files, lockfile=saved["lockfile"].encode(), packages=packages, data_reads=reads
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_record(record: Path, bundle: RuntimeBundle) -> None:
    files = {rel: str(path) for rel, path in bundle.files.items()}
    saved = {
        "files": files,
        "stamps": {rel: _stamp(path) for rel, path in bundle.files.items()},
        "lockfile": bundle.lockfile.decode(),
        "packages": [asdict(p) for p in bundle.packages],
        "data_reads": bundle.data_reads,
    }
    record.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(record, json.dumps(saved))  # a concurrent build never reads half a record


def resolve_runtime(request: RuntimeRequest, log: Callable[[str], None] = lambda _: None) -> RuntimeBundle:
    """Resolve every wheel the notebooks need into a bundle; raise naming the notebook and package on failure."""
    pyodide_dir = request.pyodide_dir
    missing = [f for f in (*PYODIDE_CORE_FILES, "pyodide-lock.json") if not (pyodide_dir / f).is_file()]
    if missing:
        raise GalleryError(
            f"the Pyodide runtime is missing from {pyodide_dir} ({', '.join(missing)}); run `npm ci` (make setup)"
        )
    stock_lock = json.loads((pyodide_dir / "pyodide-lock.json").read_text())
    fetcher = WheelFetcher(request.cache_dir, stock_lock, request.pyodide_dist_url)
    resolved: dict[str, WheelInfo] = {}

    local = build_local_wheel(request, request.cache_dir / "local")
    local_tops: set[str] = set()
    if local is not None:
        info = read_wheel(local)
        resolved[info.name] = info
        local_tops.update(info.top_level)

    # marimo-base first: its pins constrain the boot packages resolved after it.
    _resolve_closure(
        [_Need(Requirement(f"marimo-base=={request.marimo_version}"), "marimo's runtime")], resolved, fetcher
    )
    _resolve_closure(
        [_Need(Requirement(spec), "marimo's runtime") for spec in BOOT_PACKAGES], resolved, fetcher
    )
    needs: list[_Need] = []
    for nb in request.notebooks:
        for spec in nb.dependencies:
            try:
                req = Requirement(spec)
            except InvalidRequirement as exc:
                raise NotebookError(
                    nb.path, f"PEP 723 dependency {spec!r} is not a valid requirement ({exc})"
                ) from exc
            if canonicalize_name(req.name) != "marimo":  # marimo-base above is the browser build of marimo
                needs.append(_Need(req, f"PEP 723 dependency {spec!r}", nb))
    _resolve_closure(needs, resolved, fetcher)

    # Imports that no resolved wheel provides: guess the distribution (Pyodide's import map, else same name).
    import_map = {imp: name for name, e in stock_lock["packages"].items() for imp in e.get("imports", [])}
    extra: list[_Need] = []
    for nb in request.notebooks:
        for module in sorted(_unprovided(nb.imports, resolved)):
            dist = import_map.get(module, module.replace("_", "-"))
            extra.append(_Need(Requirement(dist), f"`import {module}`", nb))
    _resolve_closure(extra, resolved, fetcher)
    for nb in request.notebooks:
        left = _unprovided(nb.imports, resolved)
        if left:
            raise NotebookError(
                nb.path,
                f"imports {', '.join(sorted(left))}, which no shipped package provides; "
                "add the distribution to the notebook's PEP 723 dependencies. " + SERVER_TIER_HINT,
            )
    if request.slim_wheels:  # before precompiling: bytecode is added to the wheels that ship
        resolved = {name: slim(info, request.cache_dir) for name, info in resolved.items()}
    core = {name: pyodide_dir / name for name in PYODIDE_CORE_FILES}
    if request.precompile:
        compiled = precompile(
            PrecompileRequest(
                archives=(core[STDLIB_ZIP], *(info.path for info in resolved.values())),
                notebooks=tuple(nb.path for nb in request.notebooks),
                pyodide_dir=pyodide_dir,
                cache_dir=request.cache_dir,
                data_dir=request.data_dir,
            ),
            log,
        )
        core[STDLIB_ZIP] = compiled.archives[core[STDLIB_ZIP]]
        # A wheel's boot slice: what a page load reads of it (slices.py); the controller fetches it instead.
        tag = "cpython-" + "".join(stock_lock["info"]["python"].split(".")[:2])  # as the browser names .pyc
        slices = {
            name: boot_slice(
                compiled.archives[info.path], compiled.imported[info.path], request.cache_dir, tag
            )
            for name, info in resolved.items()
            if compiled.imported[info.path] and worth_slicing(compiled.archives[info.path])
        }
        resolved = {name: replace(info, path=compiled.archives[info.path]) for name, info in resolved.items()}
        reads = {nb.slug: compiled.reads[nb.path] for nb in request.notebooks if compiled.reads.get(nb.path)}
        return replace(_bundle(core, stock_lock, resolved, slices), data_reads=reads)
    return _bundle(core, stock_lock, resolved, {})


def _unprovided(imports: frozenset[str], resolved: dict[str, WheelInfo]) -> set[str]:
    provided = {top for w in resolved.values() for top in w.top_level}
    return {m for m in imports if m not in _stdlib() and m not in PROVIDED_IMPORTS and m not in provided}


def _resolve_closure(needs: list[_Need], resolved: dict[str, WheelInfo], fetcher: WheelFetcher) -> None:
    """Breadth-first: fetch each round's new requirements in parallel, then queue their dependencies."""
    pending = list(needs)
    while pending:
        todo: dict[str, _Need] = {}
        for need in pending:
            name: str = canonicalize_name(need.requirement.name)
            if name in resolved:
                version = resolved[name].version
                if not need.requirement.specifier.contains(version, prereleases=True):
                    raise _unavailable(
                        need,
                        f"{name} {version} is already required elsewhere, which does not "
                        f"satisfy {need.requirement}",
                    )
            elif name in todo:  # asked for twice in one round: both constraints apply
                first = todo[name]
                merged = Requirement(f"{name}{first.requirement.specifier & need.requirement.specifier}")
                todo[name] = _Need(merged, first.needed_by, first.notebook)
            else:
                todo[name] = need
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = dict(zip(todo, pool.map(lambda n: _fetch(fetcher, n), todo.values()), strict=True))
        pending = []
        for name, path in results.items():
            info = read_wheel(path)
            resolved[name] = info
            parent = todo[name]
            pending += [_Need(r, f"{parent.needed_by} → {name}", parent.notebook) for r in info.requires]


def _fetch(fetcher: WheelFetcher, need: _Need) -> Path:
    try:
        return fetcher.fetch(need.requirement)
    except PackageUnavailable as exc:
        raise _unavailable(need, str(exc)) from exc


def _unavailable(need: _Need, reason: str) -> GalleryError:
    what = f"{need.needed_by} cannot run in the browser: {reason}"
    if need.notebook is not None:
        return NotebookError(need.notebook.path, f"{what}. {SERVER_TIER_HINT}")
    return GalleryError(what)


def _bundle(
    core: dict[str, Path], stock_lock: dict, resolved: dict[str, WheelInfo], slices: dict[str, Path]
) -> RuntimeBundle:
    """The runtime's files and its lockfile, built with `pyodide-lock` (Pyodide's own schema for the file:
    a field it does not know, or a missing one, fails the build instead of the browser). Boot slices lie
    beside their wheels; the lockfile does not know them (marimo's own controller loads whole wheels)."""
    files = dict(core)
    entries: dict[str, PackageSpec] = {}
    packages = []
    for name in sorted(resolved):
        info = resolved[name]
        sha = info.sha256
        rel = f"packages/{sha[:16]}/{info.path.name}"
        files[rel] = info.path
        boot = None
        if name in slices:
            boot = (f"packages/{sha[:16]}/{slices[name].name}", sha256_file(slices[name]))
            files[boot[0]] = slices[name]
        depends: list[str] = sorted({canonicalize_name(r.name) for r in info.requires} & set(resolved))
        entries[name] = PackageSpec(
            name=name, version=info.version, file_name=rel, install_dir="site", sha256=sha,
            package_type="package", imports=list(info.top_level), depends=depends, unvendored_tests=False,
        )  # fmt: skip
        packages.append(
            RuntimePackage(
                name, info.version, rel, sha, info.top_level, tuple(depends), info.path.stat().st_size, boot
            )
        )
    lock = PyodideLockSpec(info=InfoSpec.from_dict(stock_lock["info"]), packages=entries).to_dict()
    return RuntimeBundle(files, json.dumps(lock, indent=1, sort_keys=True).encode(), tuple(packages))


def write_runtime(bundle: RuntimeBundle, runtime_dir: Path) -> None:
    """Copy the bundle into `runtime_dir` (hard links where possible: the wheels are immutable)."""
    for rel, src in bundle.files.items():
        dest = runtime_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        link_or_copy(src, dest)
    (runtime_dir / "pyodide-lock.json").write_bytes(bundle.lockfile)
