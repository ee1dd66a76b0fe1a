"""Python that mplat's controller (app/controller.js) runs once in the notebook's kernel worker, before any
marimo session: where packages are imported from, and what marimo needs at launch without jedi.

Published inside apps/mplat-controller.js (controller.py puts this file's source in the controller's
CONFIG); it runs under Pyodide, and its finders are tested under CPython (tests/gallery/test_worker_boot.py).

- **Wheels are imported from their archives** (`ArchiveImports`). Pyodide's `loadPackage`
  extracts every file of a wheel into site-packages: for a notebook's boot set, 4,400 files, about a second
  of the worker's time, although a session imports a third of them. Here a module's source and its
  build-time bytecode (`__pycache__/*.cpython-314.pyc`, added by precompile.py) are read from the archive
  when it is imported. Every other file (package data, `*.dist-info`) is extracted as Pyodide would, so
  `__file__`-relative data, `importlib.resources` and `importlib.metadata` work unchanged; modules keep
  the paths they would have had in site-packages (tracebacks, `inspect.getsource` read the archive).
  Extension modules (`.so`, msgspec's) are extracted too, and Python's import loads them through
  Emscripten's dlopen, synchronously, as Pyodide's own loader would have after loading them; the boot then
  never runs Pyodide's package loader. Wheels that need a shared-library package still go through
  `loadPackage` (controller.py decides).
- **Boot slices** (slices.py): of a large wheel the controller fetched only what a page load reads (the
  traced modules' bytecode, the data, an index of every module). A module outside the slice, or a source
  asked for (tracebacks, `inspect`), fetches the whole wheel then, once, sha256-checked (`fetch_sync`).
- **jedi, parso and docutils on demand** (`DeferredPackages`): code completion and docstrings are editing
  features; a read-only app boots without them, and they are installed from the runtime (sha256-checked)
  when something imports them.
- **Generated code compiled at build time** (`install_generated_code`): the methods of marimo's
  dataclasses and its regular expressions are compiled while it is imported, about a third of the import;
  the build compiled them already (precompile.py, step 3), so both compilers look there first.
- **marimo's `patch_recursion_limit` without jedi**: marimo's version imports jedi for a side effect jedi
  0.19 no longer has.
- **A session started ahead** (`same_user_config`): the controller starts the notebook's session before
  marimo's page asks for it, and hands it over if the page asks with the same inputs.
- **The notebook parsed by the build** (`use_parsed_notebook`; parsed_notebook.py), **messages named
  without decoding them whole** (`name_messages_without_decoding`) and **each cell compiled once by the
  kernel** (`compile_each_cell_once`): repeated costs of a session's start.
- **Memory snapshots** (memory_snapshot.py): `before_snapshot` imports marimo's runtime (and builds its
  Markdown converter, which every visit's first markdown cell built otherwise) and closes the files
  the snapshot cannot hold; `after_snapshot` opens them again, and after a restore (a fresh file system)
  extracts the archives' data files again. The controller runs this module as `mplat_worker_boot` in
  `sys.modules`, so a restored interpreter still finds it.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import dataclasses
import gc
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import json
import logging
import marshal
import os
import pickle
import random
import sys
import sysconfig
import types
import zipfile
import zipimport
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any

SOURCE_SUFFIXES = (".py", ".pyc")


class _ArchiveLoader(importlib.machinery.SourceFileLoader):
    """A source loader whose files, where an archive has them, are read from the archive."""

    def __init__(self, fullname: str, path: str, archives: ArchiveImports) -> None:
        super().__init__(fullname, path)
        self._archives = archives

    def get_data(self, path: str) -> bytes:
        hit = self._archives.member(path)
        if hit is None:
            return super().get_data(path)
        archive, name = hit
        return archive.read(name)

    def path_stats(self, path: str) -> Mapping[str, Any]:
        # Asked before the bytecode is read; the build's is unchecked-hash, so the time is never compared.
        # A source only the whole wheel has is not fetched for this.
        if not self._archives.knows(path):
            return super().path_stats(path)
        hit = self._archives.member(path, fetch=False)
        return {"mtime": 0, "size": hit[0].getinfo(hit[1]).file_size if hit else 0}


class _WholeWheel:
    """A wheel the boot has only the slice of: where to fetch the rest, once, if asked for."""

    def __init__(self, url: str, sha256: str) -> None:
        self.url, self.sha256 = url, sha256


class ArchiveImports(importlib.abc.MetaPathFinder):
    """First on sys.meta_path: the modules of the wheels (or boot slices) given to `add`, imported from them."""

    def __init__(self, site_packages: str) -> None:
        self.site_packages = site_packages
        self._members: dict[str, tuple[zipfile.ZipFile, str]] = {}  # site-packages path → (archive, member)
        self._modules: dict[str, tuple[str, bool]] = {}  # module name → (site-packages path, is package)
        self._elsewhere: dict[str, _WholeWheel] = {}  # site-packages path → the wheel that has it
        self._made: set[str] = set()
        self._opened: list[tuple[zipfile.ZipFile, str]] = []  # archives read from a file, with their index

    def add(self, source: str | Mapping[str, str]) -> None:
        """A whole wheel (its path), or a boot slice: {"path", "index": the member listing the wheel's
        modules, "url" and "sha256" of the whole wheel} (slices.py)."""
        if isinstance(source, str):
            self._add_members(self._open(source))
            return
        archive = self._open(source["path"], source["index"])
        index = json.loads(archive.read(source["index"]))
        self._add_members(archive, skip=source["index"])
        wheel = _WholeWheel(source["url"], source["sha256"])
        for name in index["sources"]:
            path = self._folder_for(name)
            if path not in self._members:
                self._elsewhere[path] = wheel
            self._register(name, path)

    def _open(self, path: str, skip: str = "") -> zipfile.ZipFile:
        archive = zipfile.ZipFile(path)
        self._opened.append((archive, skip))
        return archive

    def close(self) -> None:
        """Close the archives' files (before a memory snapshot: open files are not part of it)."""
        for archive, _ in self._opened:
            archive.close()

    def reopen(self, restored: bool) -> None:
        """Open the archives again; `restored`: in an interpreter started from a snapshot, whose file system
        is new: the folders and every file that is not a module are made again, as `add` made them.

        On the path of every warm boot (~0.25 s when done naively), so: each folder made once, parents
        first, without `makedirs`' checks; and each archive keeps the listing it read before the snapshot
        (the file is the same bytes: the snapshot's key covers the archives) and only gets its file back."""
        if restored:
            os.makedirs(self.site_packages, exist_ok=True)
            for folder in sorted(_with_parents(self._made, self.site_packages), key=len):
                with contextlib.suppress(FileExistsError):
                    os.mkdir(folder)
        reopened = {id(old): _reopened(old) for old, _ in self._opened}
        if any(reopened[id(old)] is not old for old, _ in self._opened):
            for path, (archive, name) in self._members.items():
                self._members[path] = (reopened.get(id(archive), archive), name)
        self._opened = [(reopened[id(old)], skip) for old, skip in self._opened]
        if restored:
            for archive, skip in self._opened:
                for info in archive.infolist():
                    name = info.filename
                    if not (name.endswith("/") or name.endswith(SOURCE_SUFFIXES) or name == skip):
                        archive.extract(info, self.site_packages)

    def traced_modules(self) -> list[str]:
        """The modules a page load imports, as the build's trace saw them: the ones it compiled bytecode for
        (precompile.py compiles nothing else), parents first."""
        found = set()
        for _, name in self._members.values():
            folder, marker, file = name.rpartition("/__pycache__/")
            if marker and file.endswith(".pyc"):
                stem = file.split(".")[0]
                found.add(folder.replace("/", ".") + ("" if stem == "__init__" else f".{stem}"))
        return sorted(found, key=lambda module: (module.count("."), module))

    def _folder_for(self, name: str) -> str:
        path = os.path.join(self.site_packages, name)
        folder = os.path.dirname(path)
        if folder not in self._made:  # packages stay folders: namespace packages, data beside modules
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        return path

    def _add_members(self, archive: zipfile.ZipFile, skip: str = "") -> None:
        for info in archive.infolist():
            name = info.filename
            if name.endswith("/") or name == skip:
                continue
            path = self._folder_for(name)
            if not name.endswith(SOURCE_SUFFIXES):
                archive.extract(info, self.site_packages)
                continue
            self._members[path] = (archive, name)
            if name.endswith(".py"):
                self._register(name, path)

    def _register(self, name: str, path: str) -> None:
        parts = name[:-3].split("/")
        if parts[-1] == "__init__":
            self._modules[".".join(parts[:-1])] = (path, True)
        else:
            self._modules.setdefault(".".join(parts), (path, False))

    def knows(self, path: str) -> bool:
        return path in self._members or path in self._elsewhere

    def member(self, path: str, fetch: bool = True) -> tuple[zipfile.ZipFile, str] | None:
        """Where `path` is read from; a file only a whole wheel has fetches that wheel (unless `fetch` is off)."""
        wheel = self._elsewhere.get(path)
        if wheel is not None and fetch:
            self._fetch(wheel)
        return self._members.get(path)

    def _fetch(self, wheel: _WholeWheel) -> None:
        data = fetch_sync(wheel.url)
        if hashlib.sha256(data).hexdigest() != wheel.sha256:
            raise ImportError(f"{wheel.url} does not match the runtime's lockfile")
        archive = zipfile.ZipFile(io.BytesIO(data))
        for name in archive.namelist():
            if name.endswith(SOURCE_SUFFIXES):
                self._members.setdefault(os.path.join(self.site_packages, name), (archive, name))
        for path in [p for p, w in self._elsewhere.items() if w is wheel]:
            del self._elsewhere[path]

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        hit = self._modules.get(fullname)
        if hit is None:
            return None
        file, package = hit
        return importlib.util.spec_from_file_location(
            fullname,
            file,
            loader=_ArchiveLoader(fullname, file, self),
            submodule_search_locations=[os.path.dirname(file)] if package else None,
        )


def _with_parents(folders: Iterable[str], root: str) -> set[str]:
    """`folders` and their parents below `root` (which exists)."""
    found: set[str] = set()
    for folder in folders:
        while folder not in found and len(folder) > len(root) and folder.startswith(root):
            found.add(folder)
            folder = os.path.dirname(folder)
    return found


def _reopened(archive: zipfile.ZipFile) -> zipfile.ZipFile:
    """A closed archive reading its file again, with the member listing it already holds (parsing the
    central directories again was a quarter of the reopening). The attributes are CPython's (`close`
    sets `fp` to None and `_fileRefCnt` to 0); a Python without them gets a new archive, as before."""
    if not hasattr(archive, "_fileRefCnt") or not isinstance(archive.filename, str):
        return zipfile.ZipFile(archive.filename)  # type: ignore[arg-type]
    if archive.fp is None:
        archive.fp = open(archive.filename, "rb")  # noqa: SIM115 (the archive closes it, as its own)
        archive._fileRefCnt = 1  # type: ignore[attr-defined]
    return archive


def fetch_sync(url: str) -> bytes:
    """A runtime file, synchronously (imports are synchronous; a worker may block on a request)."""
    import js  # type: ignore[import-not-found]  # Pyodide's bridge to the worker's JavaScript

    request = js.XMLHttpRequest.new()
    request.open("GET", url, False)
    request.responseType = "arraybuffer"
    request.send()
    if request.status != 200:
        raise ImportError(f"{url} answered HTTP {request.status}")
    return bytes(request.response.to_bytes())


class DeferredPackages(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: importing a deferred package (jedi, parso, docutils) that was not loaded at
    boot installs its wheel from the runtime then (sha256-checked; a synchronous request, as imports are)."""

    def __init__(self, lock: dict[str, Any], base: str, deferred: Iterable[str], site_packages: str) -> None:
        self.lock, self.base, self.site_packages = lock, base, site_packages
        self.by_module = {m: name for name in deferred if name in lock for m in lock[name]["imports"]}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        name = self.by_module.get(fullname)
        if name is None or importlib.machinery.PathFinder.find_spec(fullname) is not None:
            return None
        self._install(name)
        importlib.invalidate_caches()
        return importlib.machinery.PathFinder.find_spec(fullname, path)

    def _installed(self, name: str) -> bool:
        finders = [f for f in sys.meta_path if f is not self and hasattr(f, "find_spec")]
        return any(f.find_spec(m, None) is not None for m in self.lock[name]["imports"] for f in finders)

    def _install(self, name: str) -> None:
        entry = self.lock[name]
        for dependency in entry.get("depends", []):
            if dependency in self.lock and not self._installed(dependency):
                self._install(dependency)
        data = fetch_sync(self.base + entry["file_name"])
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise ImportError(f"{name}: {entry['file_name']} does not match the runtime's lockfile")
        zipfile.ZipFile(io.BytesIO(data)).extractall(self.site_packages)


def load_generated_code(path: str) -> dict[str, Any]:
    """The build's generated code, from `path` inside a zip on sys.path ("/lib/python314.zip/member");
    empty when the build made none (`precompile_python: false`) or for another interpreter."""
    archive, separator, member = path.partition(".zip/")
    try:
        table = marshal.loads(zipimport.zipimporter(archive + separator[:-1]).get_data(member))
    except (OSError, zipimport.ZipImportError, ValueError, EOFError, TypeError):
        return {}
    return table if isinstance(table, dict) else {}


class _CompilerArguments:
    """Stands in for `_sre` while re's compiler runs: returns what it would pass to `_sre.compile`."""

    def __getattr__(self, name: str) -> Any:
        import _sre

        return getattr(_sre, name)

    @staticmethod
    def compile(
        pattern: str | bytes, flags: int, code: list[int], groups: int, groupindex: dict, indexgroup: tuple
    ) -> tuple[Any, ...]:
        # the opcodes are int subclasses (re._constants), which marshal refuses
        return pattern, int(flags), [int(c) for c in code], int(groups), dict(groupindex), tuple(indexgroup)


def compile_generated_code(
    dataclass_sources: Iterable[str], patterns: Iterable[tuple[str, bool, int]]
) -> dict[str, Any]:
    """At build time, under the browser's interpreter: the table `install_generated_code` reads
    (marshal-able). `patterns` are (text, is_bytes, flags), bytes patterns as latin-1 text."""
    import re._compiler

    methods = {
        source: compile(source, "<string>", "exec", dont_inherit=True)  # as dataclasses' exec compiles it
        for source in dataclass_sources
    }
    arguments: dict[tuple[str | bytes, int], tuple[Any, ...]] = {}
    real_sre = re._compiler._sre  # type: ignore[attr-defined]
    re._compiler._sre = _CompilerArguments()  # type: ignore[attr-defined]
    try:
        for text, is_bytes, flags in patterns:
            pattern = text.encode("latin-1") if is_bytes else text
            # one that fails is left to compile (and fail) in the browser, as without the table
            with contextlib.suppress(re.error, OverflowError, RecursionError, ValueError):
                arguments[(pattern, flags)] = re._compiler.compile(pattern, flags)
    finally:
        re._compiler._sre = real_sre  # type: ignore[attr-defined]
    return {"dataclass": methods, "re": arguments}


def install_generated_code(table: Mapping[str, Any]) -> None:
    """Put the build's compiled code in front of the two compilers Python runs while importing: dataclasses'
    exec of each class's methods (source → code object) and re's compiler (pattern, flags → the arguments
    of `_sre.compile`). Anything the build did not see compiles as it always did."""
    import _sre
    import dataclasses
    import re._compiler

    methods: Mapping[str, Any] = table.get("dataclass", {})
    patterns: Mapping[tuple[str | bytes, int], tuple[Any, ...]] = table.get("re", {})
    compile_pattern = re._compiler.compile

    def exec_known(source: Any, *args: Any, **kwargs: Any) -> None:
        code = methods.get(source) if isinstance(source, str) else None
        builtins.exec(source if code is None else code, *args, **kwargs)

    def compile_known(pattern: Any, flags: int = 0) -> Any:
        arguments = patterns.get((pattern, flags)) if isinstance(pattern, (str, bytes)) else None
        return compile_pattern(pattern, flags) if arguments is None else _sre.compile(*arguments)

    dataclasses.exec = exec_known  # type: ignore[attr-defined]  # dataclasses looks exec up as a global
    re._compiler.compile = compile_known  # type: ignore[assignment]  # re._compile calls it by attribute


def _patch_recursion_limit(limit: int) -> None:
    sys.setrecursionlimit(limit)


# The worker's one archive finder (`boot` makes it): wheels attached later, and a snapshot's files, go there.
ARCHIVES: ArchiveImports | None = None
# What a memory snapshot holds imported: marimo's runtime, as a session imports it (memory_snapshot.py), and
# every module of the attached archives that the build compiled (`traced_modules`).
SNAPSHOT_IMPORTS = ("marimo._pyodide.bootstrap", "marimo._runtime.runtime")
# Packages whose modules keep objects of Pyodide's JavaScript API at import (micropip: `pyodide_js`'s
# loadPackage, its file loader), which a snapshot cannot hold: imported by the session, as without one.
NOT_IN_SNAPSHOT = ("micropip",)


def boot(
    lock: dict[str, Any],
    base: str,
    deferred: Iterable[str],
    wheels: Iterable[str | Mapping[str, str]],
    generated_code: str | None = None,
) -> None:
    """Called once by the controller, with the wheels it wrote into the worker's file system and where the
    build's generated code is."""
    global ARCHIVES
    if generated_code:
        install_generated_code(load_generated_code(generated_code))
    site_packages = "/" + sysconfig.get_paths()["purelib"].lstrip("/")  # Pyodide's reads "//lib/…"
    ARCHIVES = ArchiveImports(site_packages)
    sys.meta_path.insert(0, ARCHIVES)
    sys.meta_path.append(DeferredPackages(lock, base, deferred, site_packages))
    add_wheels(wheels)

    import marimo._runtime.patches as patches

    patches.patch_recursion_limit = _patch_recursion_limit
    _formatters_as_in_a_notebook()
    name_messages_without_decoding()
    compile_each_cell_once()


def compile_each_cell_once() -> None:
    """A notebook's cells were compiled three times as it started: by the session, to build the app object it
    describes the notebook with (marimo's loader, `ir_cell_factory`); by the kernel, to see whether a cell
    holds only markdown (`_handle_markdown_cells_on_instantiate`, which drops the result); and by the kernel
    again, for its graph (`run`). Now the kernel's markdown check takes the session's compile when it is the
    same one (the code and cell id, no file name or source position: a Pyodide session's kernel runs in edit
    mode), and the run takes what the check had. The app and the kernel's graph then share each cell's
    compile, as marimo's own embedded apps do (`AppKernelRunner`); any other compile is marimo's own."""
    import marimo._ast.cell_manager as cell_manager
    import marimo._runtime.runtime as runtime

    Kernel = runtime.Kernel
    make_cell = cell_manager.ir_cell_factory
    compile_cell = runtime.compile_cell
    compiling = Kernel._try_compiling_cell
    checking_markdown = Kernel._handle_markdown_cells_on_instantiate
    loaded: dict[tuple[str, str], Any] = {}  # (cell id, code) -> the session's compile, until the kernel's

    def ir_cell_factory(cell_def: Any, cell_id: Any, filename: str | None = None) -> Any:
        cell = make_cell(cell_def, cell_id=cell_id, filename=filename)
        if not os.environ.get("DEBUGPY_RUNNING"):  # (which compiles with the cell's source position)
            loaded[cell_id, cell_def.code] = cell._cell
        return cell

    def kernel_compile_cell(code: str, cell_id: Any, **options: Any) -> Any:
        if not any(options.values()):  # no file name, source position, carried imports: the session's compile
            cell = loaded.pop((cell_id, code), None)
            if cell is not None:
                return cell
        return compile_cell(code, cell_id, **options)

    def check_markdown(self: Any, execution_requests: Any) -> None:
        self._mplat_compiled = {}  # (cell id, code) -> what the check compiled
        self._mplat_checking = True
        try:
            checking_markdown(self, execution_requests)
        finally:
            self._mplat_checking = False

    def try_compiling(self: Any, cell_id: Any, code: str, carried_imports: Any) -> Any:
        compiled = getattr(self, "_mplat_compiled", {})
        if getattr(self, "_mplat_checking", False):
            result = compiling(self, cell_id, code, carried_imports)
            if result[1] is None:  # (cell, error): kept only when it compiled
                compiled[cell_id, code] = result
            return result
        kept = compiled.pop((cell_id, code), None)  # taken once: a later compile is a fresh one
        if kept is not None and not carried_imports:
            return kept
        return compiling(self, cell_id, code, carried_imports)

    cell_manager.ir_cell_factory = ir_cell_factory  # type: ignore[assignment]
    runtime.compile_cell = kernel_compile_cell  # type: ignore[assignment]
    Kernel._handle_markdown_cells_on_instantiate = check_markdown  # type: ignore[method-assign]
    Kernel._try_compiling_cell = try_compiling  # type: ignore[method-assign]


def name_messages_without_decoding() -> None:
    """marimo's Pyodide session decodes every message it sends its page (the whole notification, into
    msgspec structs) only to read its name (`write_kernel_message` in `marimo._pyodide.bootstrap`): ~100
    messages in a notebook's first run. marimo's slim decoder of that name (the `op` field) gives the same."""
    import marimo._pyodide.bootstrap as bootstrap
    from marimo._messaging.serde import deserialize_kernel_notification_name

    def named(message: Any) -> Any:
        return types.SimpleNamespace(name=deserialize_kernel_notification_name(message))

    bootstrap.deserialize_kernel_message = named  # type: ignore[assignment]  # only `.name` is read there


def _formatters_as_in_a_notebook() -> None:
    """marimo registers a library's output formatter (plotly's: charts drawn by marimo's plotly.js) when the
    library is imported, or at kernel launch for one imported before, and only `if running_in_notebook()`.
    At launch no cell runs yet, so a library the memory snapshot imported got no formatter (its figures fell
    back to plotly's own HTML, which reads the plotly.js that slim_wheels leaves out). This worker only ever
    runs a notebook's kernel: the formatters register as in one."""
    import marimo._output.formatters.formatters as formatters

    for factory in formatters.THIRD_PARTY_FACTORIES.values():
        module = sys.modules.get(type(factory).__module__)
        if module is not None and hasattr(module, "running_in_notebook"):
            module.running_in_notebook = _in_a_notebook  # type: ignore[attr-defined]


def _in_a_notebook() -> bool:
    return True


def add_wheels(wheels: Iterable[str | Mapping[str, str]]) -> None:
    """More wheels for the finder (a notebook's own, after the snapshot of marimo's boot set)."""
    assert ARCHIVES is not None, "boot() first"
    for wheel in wheels:
        ARCHIVES.add(wheel)
    importlib.invalidate_caches()


def same_user_config(sent: Mapping[str, Any], asked: Mapping[str, Any]) -> bool:
    """Whether the user config the gate sent for the session started ahead (the page's, as built) and the
    one marimo's page asks with configure a kernel alike. marimo's `create_session` merges marimo's defaults
    into it; the page fills in its own defaults, some for settings marimo's Python side does not define
    (`ai.mode`, `experimental`: none of them the kernel's). So: every setting of the sent config, with
    marimo's defaults, has the same value in the page's."""
    from marimo._config.config import merge_default_config

    def with_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
        return _settings(merge_default_config(dict(config)))  # type: ignore[arg-type]

    page = with_defaults(asked)
    return all(page.get(key, _MISSING) == value for key, value in with_defaults(sent).items())


_MISSING = object()


def _settings(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config as {"section.key": value} (empty sections kept as values)."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, Mapping) and value:
            flat.update(_settings(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs `callback(module)` right after `name` is first imported (its module executed)."""

    def __init__(self, name: str, callback: Any) -> None:
        self.name, self.callback, self._finding = name, callback, False

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name or self._finding or self.callback is None:
            return None
        self._finding = True
        try:
            spec = importlib.util.find_spec(fullname)  # as the other finders would find it
        finally:
            self._finding = False
        if spec is None or spec.loader is None:
            return spec
        loader, callback = spec.loader, self.callback
        self.callback = None  # once
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            callback(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]  # this module's loader only
        return spec


def after_import(name: str, callback: Any) -> None:
    """`callback(module)` once `name` is imported: now if it is, else right after its first import."""
    if name in sys.modules:
        callback(sys.modules[name])
    else:
        sys.meta_path.insert(0, _AfterImport(name, callback))


def use_package_index(url: str) -> None:
    """micropip installs from the site's copy of the package index (offline, no other host). Set when
    micropip is imported: a restored interpreter does not hold it (NOT_IN_SNAPSHOT), and importing it for
    this alone cost ~0.25 s of every warm boot, although a notebook rarely installs anything."""
    after_import("micropip", lambda micropip: micropip.set_index_urls(url))


def use_parsed_notebook(sha256: str, pickled: str) -> None:
    """marimo's parse of the notebook whose code has this sha256 is the build's (`pickled`: base64 of the
    pickled parse; parsed_notebook.py): one parse less on every visit. Any other code is parsed as before,
    and so is this one if the build's parse cannot be read."""
    import marimo._ast.parse as parse

    parse_notebook = parse.parse_notebook

    def parsed_by_the_build(contents: str, filepath: str = "<marimo>") -> Any:
        if hashlib.sha256(contents.encode()).hexdigest() == sha256:
            with contextlib.suppress(Exception):
                notebook = pickle.loads(base64.b64decode(pickled))  # noqa: S301 (the build's, from this site)
                return dataclasses.replace(notebook, filename=filepath)
        return parse_notebook(contents, filepath=filepath)

    parse.parse_notebook = parsed_by_the_build


def _log_files() -> list[logging.FileHandler]:
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    return [
        h
        for lg in loggers
        if isinstance(lg, logging.Logger)
        for h in lg.handlers
        if isinstance(h, logging.FileHandler)
    ]


def before_snapshot() -> None:
    """Import what the snapshot should hold, then close the files it cannot (archives, marimo's log file)."""
    assert ARCHIVES is not None, "boot() first"
    for name in SNAPSHOT_IMPORTS:
        importlib.import_module(name)
    for name in ARCHIVES.traced_modules():  # what every session imports anyway, once instead of per visit
        if name.split(".")[0] in NOT_IN_SNAPSHOT:
            continue
        with contextlib.suppress(Exception):  # one that needs a session (or fails) is left for the session
            importlib.import_module(name)
    with contextlib.suppress(Exception):  # marimo's Markdown converter, with its ~20 extensions: built once
        from marimo._output.md import _get_markdown  # here, not by each visit's first markdown cell

        _get_markdown()
    ARCHIVES.close()
    for handler in _log_files():
        if handler.stream is not None:  # reopened by the handler at its next record
            handler.stream.close()
            handler.stream = None  # type: ignore[assignment]
    gc.collect()


def after_snapshot(restored: bool) -> None:
    """The files again; `restored`: in an interpreter started from the snapshot (a new file system, and
    `random` must not repeat the snapshot's sequence on every visit)."""
    assert ARCHIVES is not None, "boot() first"
    ARCHIVES.reopen(restored)
    if restored:
        random.seed()
        for handler in _log_files():
            os.makedirs(os.path.dirname(handler.baseFilename), exist_ok=True)
