"""The notebook's parse done by the build (parsed_notebook.py) and used by the worker (worker_boot.py)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib.util
import pickle
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

import marimo._ast.parse as marimo_parse
import pytest

from mplat.gallery import parsed_notebook

WORKER_BOOT = Path(parsed_notebook.__file__).parent / "app" / "worker_boot.py"
CODE = """
import marimo

app = marimo.App()


@app.cell
def _():
    answer = 42
    return (answer,)


if __name__ == "__main__":
    app.run()
"""


def exported_page(code: str) -> str:
    """What marimo's WebAssembly export writes: the code URI-encoded in <marimo-code>."""
    return f'<html><body><marimo-code hidden="">{quote(code, safe="")}</marimo-code></body></html>'


@pytest.fixture
def worker_boot(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setattr(marimo_parse, "parse_notebook", marimo_parse.parse_notebook)  # restored afterwards
    spec = importlib.util.spec_from_file_location("mplat_worker_boot_parse_test", WORKER_BOOT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_build_parses_the_code_the_page_carries_as_marimo_session_reads_it() -> None:
    entry = parsed_notebook.parsed_entry(exported_page(CODE))

    assert entry is not None
    read_back = CODE.strip()  # marimo reads the notebook file back stripped
    assert entry["sha256"] == hashlib.sha256(read_back.encode()).hexdigest()
    parsed = pickle.loads(base64.b64decode(entry["pickle"]))
    assert parsed == marimo_parse.parse_notebook(read_back)
    assert [cell.code for cell in parsed.cells] == ["answer = 42"]


def test_a_page_without_code_or_with_an_invalid_notebook_has_no_parse() -> None:
    assert parsed_notebook.parsed_entry("<html><body>no notebook</body></html>") is None
    assert parsed_notebook.parsed_entry(exported_page("def broken(:\n")) is None


def test_the_worker_answers_marimo_parse_with_the_build_for_the_same_code(worker_boot: ModuleType) -> None:
    read_back = CODE.strip()
    # a parse that differs from marimo's (a renamed cell) shows which one the session got
    build = marimo_parse.parse_notebook(read_back)
    assert build is not None
    marked = dataclasses.replace(build, cells=[dataclasses.replace(build.cells[0], name="from_the_build")])
    pickled = base64.b64encode(pickle.dumps(marked, protocol=parsed_notebook.PICKLE_PROTOCOL)).decode()

    worker_boot.use_parsed_notebook(hashlib.sha256(read_back.encode()).hexdigest(), pickled)

    same = marimo_parse.parse_notebook(read_back, filepath="/marimo/notebook.py")
    assert same is not None
    assert same.cells[0].name == "from_the_build"
    assert same.filename == "/marimo/notebook.py"  # where the session reads it, not where the build did
    edited = marimo_parse.parse_notebook(read_back.replace("42", "43"), filepath="/marimo/notebook.py")
    assert edited is not None
    assert edited.cells[0].name == "_" and edited.cells[0].code == "answer = 43"  # parsed as before


def test_an_unreadable_build_parse_lets_marimo_parse(worker_boot: ModuleType) -> None:
    read_back = CODE.strip()
    worker_boot.use_parsed_notebook(hashlib.sha256(read_back.encode()).hexdigest(), "bm90IGEgcGlja2xl")

    parsed = marimo_parse.parse_notebook(read_back, filepath="/marimo/notebook.py")

    assert parsed is not None
    assert parsed.cells[0].code == "answer = 42"
