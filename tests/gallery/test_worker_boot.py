"""The kernel worker's import finder (src/mplat/gallery/app/worker_boot.py), under CPython.

In the browser it imports the notebook's pure-Python wheels from their archives (the browser tests run
every notebook that way); here one small wheel shows what a package must still be able to do: import its
modules from the build's bytecode, read its data beside `__file__` and through `importlib.resources`,
report its version through `importlib.metadata`, show its source, and hold a namespace package.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.resources
import importlib.util
import inspect
import json
import marshal
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

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
