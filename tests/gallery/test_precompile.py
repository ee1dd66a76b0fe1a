"""Bytecode compiled at build time for Pyodide's Python (src/mplat/gallery/precompile.py).

The proof that matters is in the browser's interpreter: with the built runtime loaded in Pyodide under
Node.js, importing what a notebook session imports compiles no module from source. The demo site's
browser tests (tests/e2e, tests/offline) run the notebooks on such a runtime.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from e2e.sitebuild import NPM, build_site
from mkdocs.config import load_config
from pyodide_lock.spec import PyodideLockSpec

from gallery.conftest import write_project
from mplat.gallery.precompile import GENERATED_CODE, WORKER_BOOT, trace_imports
from mplat.gallery.slices import SLICE_INDEX, slice_name

pytestmark = pytest.mark.xdist_group("precompile")  # one worker builds the module's site

PRECOMPILE = "      precompile_python: true\n      thumbnails_browser: ''\n"
PYC_FLAGS_UNCHECKED_HASH = 0b01  # PEP 552: hash-based, source not checked

# Loads the built runtime the way marimo's worker does and installs the build's generated code as mplat's
# controller does (app/worker_boot.py), then counts modules compiled from source (the "compile" audit event
# fires for source, not for .pyc), dataclass methods compiled from text and patterns parsed while importing
# what a session imports.
IMPORT_PROBE = r"""
import { loadPyodide } from "%(pyodide)s";
const py = await loadPyodide({ indexURL: "%(runtime)s/", lockFileURL: "%(runtime)s/pyodide-lock.json" });
await py.loadPackage(%(packages)s, { messageCallback: () => {} });
py.globals.set("worker_boot", %(worker_boot)s);
const result = py.runPython(`
import json, re._parser, sys
boot = {"__name__": "mplat_worker_boot"}
exec(worker_boot, boot)
table = boot["load_generated_code"]("/lib/python314.zip/%(generated)s")
boot["install_generated_code"](table)
compiled, generated, parsed = [], [], []
sys.addaudithook(lambda event, args: compiled.append(args[1]) if event == "compile" and str(args[1]).endswith(".py") else None)
dataclass_methods = lambda args: args[1] == "<string>" and str(args[0]).startswith(("def __create_fn__", "b'def __create_fn__"))
sys.addaudithook(lambda event, args: generated.append(repr(args[0])[:300]) if event == "compile" and dataclass_methods(args) else None)
real_parse = re._parser.parse
def parse(pattern, *args):  # re.compile's path (re.Scanner parses its phrases itself)
    if sys._getframe(1).f_code.co_name == "compile":
        parsed.append(str(pattern))
    return real_parse(pattern, *args)
re._parser.parse = parse
import marimo, marimo._pyodide.bootstrap, marimo._pyodide.pyodide_session, docutils, pygments, jedi
during_session = list(compiled)
import colorsys  # no notebook imports it: compiled from source, which shows the hook counts
code = marimo._pyodide.bootstrap.create_session.__code__
columns = [c for _, _, c, _ in code.co_positions() if c is not None]
json.dumps({"session": during_session, "after": compiled[len(during_session):], "columns": columns,
            "table": [len(table.get("dataclass", ())), len(table.get("re", ()))], "generated": generated,
            "parsed": parsed})
`);
console.log(result);
"""


@pytest.fixture(scope="module")
def compiled_site(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> tuple[Path, str]:
    project = write_project(tmp_path_factory.mktemp("precompile") / "project", ["good_demo"], PRECOMPILE)
    # The shared wheel cache, without its traces and compiled archives: this build must make its own.
    shared = (project / ".cache" / "wheels").resolve()
    (project / ".cache" / "wheels").unlink()
    shutil.copytree(
        shared, project / "nb-cache-wheels", copy_function=os.link, ignore=shutil.ignore_patterns("compiled")
    )
    (project / "nb-cache-wheels").rename(project / ".cache" / "wheels")
    result = build_site(project, project / "site")
    assert result.returncode == 0, result.stderr
    return project, result.stderr


def _lock(site: Path) -> dict:
    return json.loads((site / "runtime" / "pyodide-lock.json").read_text())["packages"]


def test_wheels_carry_unchecked_hash_bytecode_listed_in_their_record(compiled_site: tuple[Path, str]) -> None:
    project, log = compiled_site
    assert "runtime: tracing what 1 notebook(s) import at load" in log
    site = project / "site"
    entry = _lock(site)["marimo-base"]
    wheel = site / "runtime" / entry["file_name"]
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == entry["sha256"], (
        "the lockfile names the new wheel"
    )
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "marimo/__init__.py" in names, "sources stay (tracebacks, inspect)"
        pyc = zf.read("marimo/__pycache__/__init__.cpython-314.pyc")
        record = zf.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
    assert int.from_bytes(pyc[4:8], "little") == PYC_FLAGS_UNCHECKED_HASH
    digest = base64.urlsafe_b64encode(hashlib.sha256(pyc).digest()).rstrip(b"=").decode()
    assert f"marimo/__pycache__/__init__.cpython-314.pyc,sha256={digest},{len(pyc)}" in record.splitlines()
    compiled = [n for n in names if n.endswith(".pyc")]
    sources = [n for n in names if n.endswith(".py")]
    assert 0 < len(compiled) < len(sources), "only what a page load imports is compiled"
    with zipfile.ZipFile(site / "runtime" / "python_stdlib.zip") as zf:
        stdlib = set(zf.namelist())
    assert {"json/__init__.py", "json/__init__.pyc"} <= stdlib  # zipimport's layout: beside the source


def test_a_large_wheel_gets_a_boot_slice_of_what_a_page_load_reads(compiled_site: tuple[Path, str]) -> None:
    site = compiled_site[0] / "site"
    entry = _lock(site)["marimo-base"]
    wheel = site / "runtime" / entry["file_name"]
    boot = wheel.with_name(slice_name(wheel.name))
    with zipfile.ZipFile(boot) as zf:
        names = set(zf.namelist())
        index = json.loads(zf.read(SLICE_INDEX))
    assert "marimo/__pycache__/__init__.cpython-314.pyc" in names and "marimo/__init__.py" not in names
    assert index["sha256"] == entry["sha256"] and "marimo/__init__.py" in index["sources"]
    assert any(n.endswith(".dist-info/METADATA") for n in names)  # importlib.metadata reads it at boot
    assert boot.stat().st_size < wheel.stat().st_size * 0.7
    assert slice_name(wheel.name) in (site / "apps" / "good-demo.html").read_text()  # in the page's plan


def test_the_lockfile_follows_pyodides_schema(compiled_site: tuple[Path, str]) -> None:
    project, _ = compiled_site
    lock = PyodideLockSpec.from_dict(
        json.loads((project / "site" / "runtime" / "pyodide-lock.json").read_text())
    )
    stock = json.loads((NPM / "pyodide" / "pyodide-lock.json").read_text())
    assert lock.info.to_dict() == stock["info"]  # the interpreter the packages were chosen for
    assert "marimo-base" in lock.packages and lock.packages["marimo-base"].install_dir == "site"


def test_the_browser_interpreter_imports_a_session_without_compiling(compiled_site: tuple[Path, str]) -> None:
    site = compiled_site[0] / "site"
    packages = sorted(_lock(site))
    script = compiled_site[0] / "probe.mjs"
    script.write_text(
        IMPORT_PROBE
        % {
            "pyodide": NPM / "pyodide" / "pyodide.mjs",
            "runtime": site / "runtime",
            "packages": json.dumps(packages),
            "worker_boot": json.dumps(WORKER_BOOT.read_text()),
            "generated": GENERATED_CODE,
        }
    )
    out = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["session"] == [], "modules compiled from source in the browser"
    assert any(path.endswith("colorsys.py") for path in result["after"])
    assert result["columns"] == [], "the bytecode carries column positions (compile with no_debug_ranges)"
    dataclasses, patterns = result["table"]
    assert dataclasses > 100 and patterns > 50, (
        "the build's generated code (marimo's dataclasses and patterns)"
    )
    assert result["generated"] == [], "dataclass methods compiled from text in the browser"
    assert result["parsed"] == [], "regular expressions compiled in the browser"


def test_a_rebuild_reuses_the_trace_and_the_compiled_archives(compiled_site: tuple[Path, str]) -> None:
    project = compiled_site[0]
    again = build_site(project, project / "site")
    assert again.returncode == 0, again.stderr
    assert "runtime: tracing" not in again.stderr and "runtime: compiling" not in again.stderr


def test_an_edit_that_imports_nothing_new_reuses_the_trace(compiled_site: tuple[Path, str]) -> None:
    project = compiled_site[0]
    notebook = project / "nb" / "good_demo.py"
    original = notebook.read_text()
    try:
        notebook.write_text(original.replace("if __name__", "# a new comment\n\n\nif __name__", 1))
        edited = build_site(project, project / "site")
        assert edited.returncode == 0, edited.stderr
        assert "good-demo: exported" in edited.stderr, "the edit is exported"
        assert "runtime: tracing" not in edited.stderr, "same imports, same trace"
    finally:
        notebook.write_text(original)


def test_the_trace_is_keyed_on_what_the_notebook_imports(tmp_path: Path) -> None:
    """A new import traces again (a full build that does is the module's first test); text does not."""
    notebook = tmp_path / "nb.py"
    notebook.write_text("import marimo\nfrom os import path\nx = 1\n")
    before = trace_imports(notebook)
    notebook.write_text("import marimo\nfrom os import path\nx = 2  # edited\n")
    assert trace_imports(notebook) == before
    notebook.write_text("import marimo\nfrom os import path\nimport fractions\nx = 2\n")
    assert trace_imports(notebook) != before
    notebook.write_text("def broken(:\n")
    assert isinstance(trace_imports(notebook), str), "a notebook that does not parse is keyed on its bytes"


def test_mkdocs_serve_previews_without_bytecode(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", ["good_demo"], PRECOMPILE)
    config = load_config(str(project / "mkdocs.yml"))
    plugin = config.plugins["mplat-gallery"]
    plugin.on_startup(command="serve", dirty=False)
    assert plugin.gallery_request(config).precompile_python is False, (
        "a save under `mkdocs serve` would wait for a trace"
    )
    plugin.on_startup(command="build", dirty=False)
    assert plugin.gallery_request(config).precompile_python is True
