"""Wheels without the files a browser notebook never reads: what is dropped, what stays, and on the demo site."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from mplat.files import sha256_file
from mplat.gallery.slim import UNREAD, slim
from mplat.gallery.wheels import read_wheel, write_wheel

PLOTLY_FILES = {
    "plotly/__init__.py": b"# plotly\n",
    "plotly/io/_json.py": b"def to_json(fig): ...\n",
    "plotly/package_data/templates/plotly_dark.json": b'{"layout": {}}',  # themes: read at run time
    "plotly/package_data/plotly.min.js": b"/* 4.8 MB of plotly.js */",
    "plotly/package_data/widgetbundle.js": b"/* FigureWidget */",
    "plotly/labextension/static/0.js": b"/* JupyterLab */",
    "plotly-6.0.data/data/share/jupyter/labextensions/jupyterlab-plotly/static/0.js": b"/* JupyterLab */",
}
KEPT = {"plotly/__init__.py", "plotly/io/_json.py", "plotly/package_data/templates/plotly_dark.json"}


def _members(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_a_listed_wheel_loses_exactly_its_unread_files_and_its_record_matches(tmp_path: Path) -> None:
    original = read_wheel(write_wheel(tmp_path / "pypi", "plotly", "6.0", PLOTLY_FILES))

    slimmed = slim(original, tmp_path / "cache")

    members = _members(slimmed.path)
    package_files = {n for n in members if ".dist-info/" not in n}
    assert package_files == KEPT
    assert all(members[n] == PLOTLY_FILES[n] for n in KEPT)  # kept files are byte-identical
    record = members["plotly-6.0.dist-info/RECORD"].decode()
    assert "plotly.min.js" not in record and "labextension" not in record
    assert "plotly/io/_json.py,sha256=" in record
    assert (slimmed.name, slimmed.version, slimmed.path.name) == ("plotly", "6.0", original.path.name)
    assert original.path.is_file() and len(_members(original.path)) == len(PLOTLY_FILES) + 3  # untouched


def test_the_same_wheel_slims_to_the_same_bytes_and_is_cached(tmp_path: Path) -> None:
    original = read_wheel(write_wheel(tmp_path / "pypi", "plotly", "6.0", PLOTLY_FILES))

    first = slim(original, tmp_path / "one")
    again = slim(original, tmp_path / "one")
    elsewhere = slim(original, tmp_path / "two")

    assert again.path == first.path
    assert sha256_file(elsewhere.path) == sha256_file(first.path)  # content-addressed runtime stays stable


def test_a_wheel_with_nothing_listed_ships_as_it_is(tmp_path: Path) -> None:
    wheel = read_wheel(write_wheel(tmp_path, "narwhals", "2.0", {"narwhals/__init__.py": b""}))

    assert "narwhals" not in UNREAD and slim(wheel, tmp_path / "cache") == wheel


def test_the_demo_runtime_ships_slim_plotly_and_jedi_with_matching_lockfile_hashes(built_site: Path) -> None:
    runtime = built_site / "runtime"
    lock = json.loads((runtime / "pyodide-lock.json").read_text())["packages"]
    for name in ("plotly", "jedi"):
        wheel = runtime / lock[name]["file_name"]
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == lock[name]["sha256"]
        names = set(_members(wheel))
        assert not [n for n in names if "third_party/typeshed/" in n or n.endswith("plotly.min.js")], name
    plotly = set(_members(runtime / lock["plotly"]["file_name"]))
    assert "plotly/package_data/templates/plotly_dark.json" in plotly
    assert not [n for n in plotly if "labextension" in n or n.endswith("widgetbundle.js")]
