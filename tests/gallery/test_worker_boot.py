"""The kernel worker's boot (src/mplat/gallery/app/worker_boot.py) under CPython: its import finder and
the build's generated code.

In the browser it imports the notebook's pure-Python wheels from their archives (the browser tests run
every notebook that way); here one small wheel shows what a package must still be able to do: import its
modules from the build's bytecode, read its data beside `__file__` and through `importlib.resources`,
report its version through `importlib.metadata`, show its source, and hold a namespace package.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.metadata
import importlib.resources
import importlib.util
import inspect
import json
import marshal
import re
import shutil
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mplat.gallery.slices import SLICE_INDEX, boot_slice

WORKER_BOOT = Path(__file__).parents[2] / "src" / "mplat" / "gallery" / "app" / "worker_boot.py"
TAG = sys.implementation.cache_tag


def _load_worker_boot() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mplat_worker_boot_under_test", WORKER_BOOT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _unchecked_pyc(source: str, filename: str) -> bytes:
    """Bytecode as precompile.py writes it: hash-based, not checked against the source."""
    code = compile(source, filename, "exec")
    flags = 0b01  # hash-based, check_source off
    return importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little") + b"\0" * 8 + marshal.dumps(code)


def _wheel(path: Path, site: Path) -> Path:
    files = {
        "demo_archive/__init__.py": (
            "import json, pathlib\n"
            "from . import sub\n"
            "SETTINGS = json.loads((pathlib.Path(__file__).parent / 'settings.json').read_text())\n"
        ),
        "demo_archive/sub.py": "WHERE = 'source'\n\ndef shown():\n    return 'shown'\n",
        f"demo_archive/__pycache__/sub.{TAG}.pyc": _unchecked_pyc(
            "WHERE = 'bytecode'\n\ndef shown():\n    return 'shown'\n", str(site / "demo_archive" / "sub.py")
        ),
        "demo_archive/extra.py": "VALUE = 'from the whole wheel'\n",  # no page load imports it
        "demo_archive/settings.json": json.dumps({"tilt": 35}),
        "demo_archive/texts/hello.txt": "hello",
        "demo_space/part/__init__.py": "NAME = 'part of a namespace package'\n",
        "demo_archive-1.2.dist-info/METADATA": "Metadata-Version: 2.1\nName: demo-archive\nVersion: 1.2\n",
        "demo_archive-1.2.dist-info/RECORD": "",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def imported_from_archive(tmp_path: Path) -> Iterator[Path]:
    site = tmp_path / "site-packages"
    site.mkdir()
    wheel = _wheel(tmp_path / "demo_archive-1.2-py3-none-any.whl", site)
    finder = _load_worker_boot().ArchiveImports(str(site))
    finder.add(str(wheel))
    sys.meta_path.insert(0, finder)
    sys.path.insert(0, str(site))  # where Pyodide's site-packages is: dist-info and namespace packages
    importlib.invalidate_caches()
    try:
        yield site
    finally:
        sys.meta_path.remove(finder)
        sys.path.remove(str(site))
        for name in [m for m in sys.modules if m.split(".")[0] in ("demo_archive", "demo_space")]:
            del sys.modules[name]
        importlib.invalidate_caches()


def test_modules_come_from_the_archive_and_its_bytecode(imported_from_archive: Path) -> None:
    import demo_archive  # type: ignore[import-not-found]

    assert demo_archive.sub.WHERE == "bytecode"  # the build's .pyc, not the source compiled here
    assert demo_archive.sub.__file__ == str(imported_from_archive / "demo_archive" / "sub.py")
    assert not (imported_from_archive / "demo_archive" / "sub.py").exists()  # never extracted
    assert inspect.getsource(demo_archive.sub.shown).startswith("def shown():")


def test_data_files_metadata_and_resources_work_as_if_extracted(imported_from_archive: Path) -> None:
    import demo_archive

    assert demo_archive.SETTINGS == {"tilt": 35}
    assert importlib.resources.files("demo_archive").joinpath("texts/hello.txt").read_text() == "hello"
    assert importlib.metadata.version("demo-archive") == "1.2"


def test_a_namespace_package_in_an_archive_imports(imported_from_archive: Path) -> None:
    from demo_space import part  # type: ignore[import-not-found]

    assert part.NAME == "part of a namespace package"


# Boot slices (slices.py): what a page load reads of a wheel; the rest of the wheel is fetched if asked for.
class _WholeWheelServer:
    """Stands in for the synchronous request worker_boot makes for a whole wheel; counts them."""

    def __init__(self, wheel: Path) -> None:
        self.wheel, self.requests = wheel, []

    def __call__(self, url: str) -> bytes:
        self.requests.append(url)
        return self.wheel.read_bytes()


@pytest.fixture
def sliced(tmp_path: Path) -> Iterator[tuple[Path, Path, _WholeWheelServer]]:
    site = tmp_path / "site-packages"
    site.mkdir()
    wheel = _wheel(tmp_path / "demo_archive-1.2-py3-none-any.whl", site)
    imported = ["demo_archive/__init__.py", "demo_archive/sub.py"]  # what the trace saw
    boot_slice_path = boot_slice(wheel, imported, tmp_path / "cache", TAG)
    boot = _load_worker_boot()
    server = _WholeWheelServer(wheel)
    boot.fetch_sync = server
    finder = boot.ArchiveImports(str(site))
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    finder.add(
        {"path": str(boot_slice_path), "index": SLICE_INDEX, "url": "/runtime/demo.whl", "sha256": sha}
    )
    sys.meta_path.insert(0, finder)
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    try:
        yield site, boot_slice_path, server
    finally:
        sys.meta_path.remove(finder)
        sys.path.remove(str(site))
        for name in [m for m in sys.modules if m.split(".")[0] in ("demo_archive", "demo_space")]:
            del sys.modules[name]
        importlib.invalidate_caches()


def test_a_slice_holds_the_traced_bytecode_the_data_and_an_index_not_the_sources(
    sliced: tuple[Path, Path, _WholeWheelServer],
) -> None:
    _, boot_slice_path, _ = sliced
    with zipfile.ZipFile(boot_slice_path) as archive:
        names = set(archive.namelist())
        index = json.loads(archive.read(SLICE_INDEX))
    assert f"demo_archive/__pycache__/sub.{TAG}.pyc" in names and "demo_archive/sub.py" not in names
    assert "demo_archive/__init__.py" in names  # traced but not compiled: its source instead
    assert "demo_archive/extra.py" not in names  # not traced: only in the whole wheel
    assert {"demo_archive/settings.json", "demo_archive-1.2.dist-info/METADATA"} <= names
    assert (
        "demo_archive/extra.py" in index["sources"] and index["wheel"] == "demo_archive-1.2-py3-none-any.whl"
    )


def test_a_page_load_imports_from_the_slice_without_the_whole_wheel(
    sliced: tuple[Path, Path, _WholeWheelServer],
) -> None:
    import demo_archive

    assert demo_archive.sub.WHERE == "bytecode" and demo_archive.SETTINGS == {"tilt": 35}
    assert importlib.metadata.version("demo-archive") == "1.2"
    assert sliced[2].requests == [], "the whole wheel was fetched for what the slice holds"


def test_a_module_outside_the_slice_fetches_the_whole_wheel_once(
    sliced: tuple[Path, Path, _WholeWheelServer],
) -> None:
    import demo_archive
    from demo_archive import extra  # type: ignore[attr-defined]

    assert extra.VALUE == "from the whole wheel"
    assert inspect.getsource(demo_archive.sub.shown).startswith("def shown():")  # tracebacks, inspect
    assert sliced[2].requests == ["/runtime/demo.whl"]


def test_a_source_asked_for_fetches_the_whole_wheel(sliced: tuple[Path, Path, _WholeWheelServer]) -> None:
    import demo_archive

    assert "def shown():" in inspect.getsource(demo_archive.sub)
    assert sliced[2].requests == ["/runtime/demo.whl"]


def test_a_whole_wheel_that_does_not_match_the_lockfile_fails_the_import(
    sliced: tuple[Path, Path, _WholeWheelServer], tmp_path: Path
) -> None:
    sliced[2].wheel = tmp_path / "tampered.whl"
    sliced[2].wheel.write_bytes(b"not the wheel")
    with pytest.raises(ImportError, match="/runtime/demo.whl does not match the runtime's lockfile"):
        import demo_archive.extra  # type: ignore[import-not-found]  # noqa: F401


# The build's generated code (precompile.py step 3): dataclass methods and regular expressions compiled at
# build time, served to both compilers at boot. Under CPython the table is built by the same function the
# build runs under Pyodide.
PATTERN = r"(?P<scheme>https?)://(?P<host>[-a-z\u00a1-\uffff0-9.]+)(?::(\d+))?"


def _record_dataclass_sources(define: Callable[[], type]) -> list[str]:
    sources: list[str] = []

    def recording_exec(source: str, *args: object) -> None:
        sources.append(source)
        exec(source, *args)  # noqa: S102 - what dataclasses itself does with the text

    dataclasses.exec = recording_exec  # type: ignore[attr-defined]
    try:
        define()
    finally:
        del dataclasses.exec  # type: ignore[attr-defined]  # back to the builtin
    return sources


def _point() -> type:
    @dataclasses.dataclass(frozen=True, order=True)
    class Point:
        x: float
        y: float = 0.0

    return Point


class _Compiles:
    """Counts what the interpreter compiles from text ("compile" audit events) and what re parses."""

    def __init__(self) -> None:
        self.sources: list[str] = []
        self.parsed: list[object] = []
        self.watching = False
        self.real_compile = re._compiler.compile  # type: ignore[attr-defined]

    def hook(self, event: str, args: tuple) -> None:
        if self.watching and event == "compile" and args[1] == "<string>":
            self.sources.append(args[0])


_COMPILES = _Compiles()
sys.addaudithook(_COMPILES.hook)  # hooks cannot be removed: it only records while `watching`


@pytest.fixture
def generated_code_installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Compiles]:
    boot = _load_worker_boot()
    table = boot.compile_generated_code(
        _record_dataclass_sources(_point), [(PATTERN, False, 0), ("x+", True, 0)]
    )
    table = marshal.loads(marshal.dumps(table))  # shipped marshalled
    real_parse = re._parser.parse
    monkeypatch.setattr(re._parser, "parse", lambda *a: _COMPILES.parsed.append(a[0]) or real_parse(*a))
    monkeypatch.setattr(re._compiler, "compile", re._compiler.compile)  # restored after the test
    boot.install_generated_code(table)
    re.purge()
    _COMPILES.sources.clear()
    _COMPILES.parsed.clear()
    _COMPILES.watching = True
    try:
        yield _COMPILES
    finally:
        _COMPILES.watching = False
        if hasattr(dataclasses, "exec"):
            del dataclasses.exec  # type: ignore[attr-defined]
        re.purge()


def test_a_known_dataclass_gets_its_methods_without_compiling(generated_code_installed: _Compiles) -> None:
    point = _point()
    assert generated_code_installed.sources == [], "dataclass methods compiled from text at boot"
    a, b = point(1.0, 2.0), point(1.0)
    assert (repr(a), a == point(1.0, 2.0), b < a, hash(a) == hash(point(1.0, 2.0))) == (
        "_point.<locals>.Point(x=1.0, y=2.0)",
        True,
        True,
        True,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.x = 3.0  # type: ignore[misc]


def test_an_unknown_dataclass_still_compiles(generated_code_installed: _Compiles) -> None:
    @dataclasses.dataclass
    class Other:
        name: str

    assert generated_code_installed.sources != []
    assert Other("a") == Other("a")


def test_a_known_pattern_is_not_parsed_and_matches_as_compiled(generated_code_installed: _Compiles) -> None:
    served, raw = re.compile(PATTERN), re.compile(b"x+")
    assert generated_code_installed.parsed == [], "a pattern the table holds was compiled again"
    expected = generated_code_installed.real_compile(PATTERN, 0)  # re's own compiler
    for text in ("https://example.org:8080/x", "http://bücher.de", "ftp://nope"):
        found, wanted = served.match(text), expected.match(text)
        assert (found and (found.groups(), found.groupdict(), found.span())) == (
            wanted and (wanted.groups(), wanted.groupdict(), wanted.span())
        )
    assert (served.groups, served.groupindex, served.flags) == (
        expected.groups,
        expected.groupindex,
        expected.flags,
    )
    assert raw.findall(b"axxbx") == [b"xx", b"x"]


def test_an_unknown_pattern_still_compiles(generated_code_installed: _Compiles) -> None:
    assert re.compile(r"\d+-\d+").fullmatch("12-34")
    assert generated_code_installed.parsed == [r"\d+-\d+"]


def test_a_missing_or_foreign_table_is_ignored(tmp_path: Path) -> None:
    boot = _load_worker_boot()
    stdlib = tmp_path / "python314.zip"
    with zipfile.ZipFile(stdlib, "w") as archive:
        archive.writestr("__mplat__/table.marshal", marshal.dumps({"dataclass": {}, "re": {}}))
        archive.writestr("__mplat__/garbage.marshal", b"\xff not marshal")
    assert boot.load_generated_code(f"{stdlib}/__mplat__/table.marshal") == {"dataclass": {}, "re": {}}
    assert boot.load_generated_code(f"{stdlib}/__mplat__/garbage.marshal") == {}
    assert boot.load_generated_code(f"{stdlib}/__mplat__/missing.marshal") == {}
    assert boot.load_generated_code(f"{tmp_path}/absent.zip/__mplat__/table.marshal") == {}


def test_after_a_memory_snapshot_the_archives_are_reopened_and_their_files_made_again(
    imported_from_archive: Path,
) -> None:
    """A restored interpreter has the finder but neither its open files nor the worker's file system."""
    site = imported_from_archive
    finder = next(f for f in sys.meta_path if type(f).__name__ == "ArchiveImports")
    import demo_archive

    finder.close()  # before the snapshot
    assert finder.member(str(site / "demo_archive" / "sub.py"))[0].fp is None
    shutil.rmtree(site)  # the restored interpreter's file system is new
    site.mkdir()
    finder.reopen(restored=True)
    importlib.invalidate_caches()

    from demo_archive import extra
    from demo_space import part

    assert extra.VALUE == "from the whole wheel" and part.NAME == "part of a namespace package"
    assert (site / "demo_archive" / "settings.json").exists()  # data extracted again
    assert importlib.metadata.version("demo-archive") == "1.2"
    assert inspect.getsource(demo_archive.sub.shown).startswith("def shown():")
    assert not (site / "demo_archive" / "sub.py").exists()  # modules still read from the archive


def test_the_modules_a_snapshot_imports_are_the_ones_the_build_compiled(imported_from_archive: Path) -> None:
    finder = next(f for f in sys.meta_path if type(f).__name__ == "ArchiveImports")
    assert finder.traced_modules() == ["demo_archive.sub"]  # the only module with build-time bytecode


def test_a_module_imported_later_gets_its_setting_right_after_its_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """micropip's package index is set when micropip is first imported, not at boot (`use_package_index`)."""
    worker_boot = _load_worker_boot()
    (tmp_path / "demo_installer.py").write_text(
        "INDEX = None\n\ndef set_index_urls(url):\n    global INDEX\n    INDEX = url\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    seen: list[str] = []
    worker_boot.after_import(
        "demo_installer", lambda m: (m.set_index_urls("../runtime/pypi/"), seen.append(m.INDEX))
    )
    assert "demo_installer" not in sys.modules and not seen  # nothing imported for it

    import demo_installer

    assert demo_installer.INDEX == "../runtime/pypi/" and seen == ["../runtime/pypi/"]
    del sys.modules["demo_installer"]
    import demo_installer  # noqa: F811  # a second import is left alone

    assert demo_installer.INDEX is None and len(seen) == 1
    del sys.modules["demo_installer"]


def test_an_already_imported_module_gets_its_setting_at_once() -> None:
    worker_boot = _load_worker_boot()
    seen: list[ModuleType] = []
    worker_boot.after_import("json", seen.append)
    assert seen == [json]


def test_the_session_started_ahead_is_kept_only_for_the_config_the_page_asks_with() -> None:
    """The gate sends the page's user config as built; marimo's page asks with its own defaults filled in,
    some for settings marimo's Python side does not define. The kernel sees the same; a real change does
    not pass."""
    worker_boot = _load_worker_boot()
    built = {"display": {"theme": "dark", "cell_output": "below"}, "runtime": {"auto_instantiate": True}}
    asked = {
        "display": {"theme": "dark", "cell_output": "below"},
        "runtime": {"auto_instantiate": True, "default_auto_download": []},
        "ai": {"mode": "manual", "rules": ""},
        "experimental": {},
    }
    assert worker_boot.same_user_config(built, asked)
    assert not worker_boot.same_user_config(
        built, {**asked, "display": {"theme": "light", "cell_output": "below"}}
    )
    assert not worker_boot.same_user_config(built, {**asked, "runtime": {"auto_instantiate": False}})


def test_messages_to_the_page_are_named_without_decoding_them_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    import marimo._pyodide.bootstrap as bootstrap
    from marimo._messaging.notification import CompletedRunNotification
    from marimo._messaging.serde import serialize_kernel_message

    monkeypatch.setattr(bootstrap, "deserialize_kernel_message", bootstrap.deserialize_kernel_message)
    message = serialize_kernel_message(CompletedRunNotification(run_id="run-1"))
    whole = bootstrap.deserialize_kernel_message(message)

    _load_worker_boot().name_messages_without_decoding()

    assert bootstrap.deserialize_kernel_message(message).name == whole.name == "completed-run"


def _kernel() -> Any:
    """A marimo kernel as marimo makes one for an embedded app (`marimo._runtime.app.kernel_runner`)."""
    from marimo._ast.app_config import _AppConfig
    from marimo._config.config import DEFAULT_CONFIG
    from marimo._messaging.types import KernelStreams
    from marimo._runtime.commands import AppMetadata
    from marimo._runtime.runner.hooks import NotebookCellHooks
    from marimo._runtime.runtime import Kernel

    return Kernel(
        cell_configs={},
        app_metadata=AppMetadata({}, {}, filename="notebook.py", app_config=_AppConfig()),
        streams=KernelStreams(stream=None, stdout=None, stderr=None, stdin=None),  # type: ignore[arg-type]
        module=ModuleType("__main__"),
        user_config=DEFAULT_CONFIG,
        enqueue_control_request=lambda _: None,
        hooks=NotebookCellHooks(),
    )


NOTEBOOK = """import marimo

app = marimo.App()


@app.cell
def _():
    x = 1
    return (x,)


@app.cell
def _(x):
    y = x + 1
    return


if __name__ == "__main__":
    app.run()
"""


def test_a_notebook_starting_compiles_each_cell_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import marimo._ast.cell_manager as cell_manager
    import marimo._ast.compiler as compiler
    import marimo._runtime.runtime as runtime
    from marimo._ast.load import load_app
    from marimo._runtime.commands import ExecuteCellCommand

    for name in (
        "_try_compiling_cell",
        "_handle_markdown_cells_on_instantiate",
    ):  # all restored after the test
        monkeypatch.setattr(runtime.Kernel, name, getattr(runtime.Kernel, name))
    monkeypatch.setattr(cell_manager, "ir_cell_factory", cell_manager.ir_cell_factory)
    compiled: list[str] = []
    compile_cell = compiler.compile_cell
    counting = lambda code, *args, **kw: compiled.append(code) or compile_cell(code, *args, **kw)  # noqa: E731
    monkeypatch.setattr(compiler, "compile_cell", counting)  # the session's loader
    monkeypatch.setattr(runtime, "compile_cell", counting)  # the kernel
    _load_worker_boot().compile_each_cell_once()
    (tmp_path / "notebook.py").write_text(NOTEBOOK)

    # marimo's Pyodide session: the app object (its loader compiles each cell), then the kernel's instantiate:
    # the markdown check, then the run adding each cell to the graph
    app = load_app(str(tmp_path / "notebook.py"))
    assert app is not None
    cells = {
        cell_id: data.code
        for cell_id, data in zip(app._cell_manager.cell_ids(), app._cell_manager.cell_data(), strict=True)
    }
    kernel = _kernel()
    kernel._handle_markdown_cells_on_instantiate(
        {cell_id: ExecuteCellCommand(cell_id=cell_id, code=code) for cell_id, code in cells.items()}
    )
    for cell_id, code in cells.items():
        assert kernel._try_registering_cell(cell_id, code, carried_imports=[], stale=False) is None
    assert compiled == list(cells.values())  # by the loader only
    for cell_id, data in zip(cells, app._cell_manager.cell_data(), strict=True):
        assert kernel.graph.cells[cell_id] is data.cell._cell  # shared, as marimo's embedded apps share them
    second = list(cells)[1]
    assert kernel.graph.cells[second].refs == {"x"}

    cell, error = kernel._try_compiling_cell(second, cells[second], [])  # any later compile is a fresh one
    assert error is None and cell is not kernel.graph.cells[second]
    assert len(compiled) == 3
