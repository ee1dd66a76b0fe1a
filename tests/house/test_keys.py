"""Cache keys and drift detection, unit by unit: what changes a key, what does not, and what `Resource.plan`
proposes for a resource that is missing, drifted or converged (an in-memory account, no AWS, no moto)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from infra.engine import Attribute, Resource, canonical
from mplat.gallery.export import ExportRequest, export_key
from mplat.gallery.model import Notebook
from mplat.gallery.offline import COMMON, SHELL, group_of
from mplat.gallery.runtime import RuntimeRequest, runtime_key


def notebook(path: Path, imports: frozenset[str] = frozenset({"marimo"})) -> Notebook:
    return Notebook(path, path.stem.replace("_", "-"), "T", "", (), 0, (), imports)


def test_canonical_ignores_order_and_one_item_lists() -> None:
    policy = {"Statement": [{"Action": ["s3:GetObject"], "Sid": "b"}, {"Action": "s3:PutObject", "Sid": "a"}]}
    as_aws_returns_it = {
        "Statement": [{"Action": "s3:PutObject", "Sid": "a"}, {"Action": "s3:GetObject", "Sid": "b"}]
    }
    assert canonical(policy) == canonical(as_aws_returns_it)
    assert canonical(["b", "a"]) == ["a", "b"] and canonical(("x",)) == "x"
    assert canonical({"k": [{"a": 1}]}) == {"k": [{"a": 1}]}  # a one-item list of documents stays a list
    assert canonical({"Action": ["s3:GetObject", "s3:PutObject"]}) != canonical({"Action": ["s3:GetObject"]})


class Account:
    """A bucket's state as a dict: what the planner reads and the executor's steps write."""

    def __init__(self, **state: Any) -> None:
        self.state = state
        self.exists = bool(state)

    def resource(self, desired: dict[str, Any]) -> Resource:
        def create() -> None:
            self.exists = True

        attributes = [
            Attribute(
                name, want, lambda n=name: self.state.get(n), lambda v, n=name: self.state.__setitem__(n, v)
            )
            for name, want in desired.items()
        ]
        return Resource("storage", "s3-bucket b", lambda: self.exists, create, attributes)


def test_resource_plan_creates_updates_only_what_drifted_and_then_nothing() -> None:
    desired = {"versioning": "Enabled", "tags": {"Project": "mplat"}, "policy": None}

    missing = Account()
    (create,) = missing.resource(desired).plan()
    assert (create.kind, create.changes, len(create.steps)) == ("create", (), 3)  # create + 2 set attributes
    for step in create.steps:
        step()
    assert missing.state == {"versioning": "Enabled", "tags": {"Project": "mplat"}}
    assert missing.resource(desired).plan() == []  # converged: re-running apply does nothing

    drifted = Account(versioning="Enabled", tags={"Project": "other"}, policy={"Statement": []})
    (update,) = drifted.resource(desired).plan()
    assert (update.kind, update.changes) == ("update", ("tags", "policy"))  # names, never values
    assert "other" not in update.describe()
    for step in update.steps:
        step()
    assert drifted.resource(desired).plan() == []


def test_export_key_changes_with_the_notebook_and_the_export_inputs(tmp_path: Path) -> None:
    path = tmp_path / "demo.py"
    path.write_text("import marimo\n")
    nb = notebook(path)
    request = ExportRequest(notebooks=(nb,), cache_dir=tmp_path, marimo_version="0.25.2")
    key = export_key(nb, request, "inputs")
    assert export_key(nb, request, "inputs") == key
    assert export_key(nb, dataclasses.replace(request, marimo_version="0.26.0"), "inputs") != key
    assert export_key(nb, dataclasses.replace(request, options=("--mode", "edit")), "inputs") != key
    assert export_key(nb, request, "other data") != key
    path.write_text("import marimo\n# edited\n")
    assert export_key(nb, request, "inputs") != key


def test_runtime_key_counts_imports_not_edits(tmp_path: Path) -> None:
    pyodide = tmp_path / "pyodide"
    pyodide.mkdir()
    (pyodide / "pyodide-lock.json").write_text('{"info": {}}')
    path = tmp_path / "demo.py"
    path.write_text("import marimo\n")

    def key(nb: Notebook, **changes: Any) -> str:
        request = RuntimeRequest(
            notebooks=(nb,),
            pyodide_dir=pyodide,
            cache_dir=tmp_path,
            marimo_version="0.25.2",
            pyodide_dist_url="u",
        )
        return runtime_key(dataclasses.replace(request, **changes))

    base = key(notebook(path))
    path.write_text("import marimo\n# a cell's text changed\n")
    assert key(notebook(path)) == base  # resolves nothing
    assert key(notebook(path, frozenset({"marimo", "numpy"}))) != base
    assert key(notebook(path), marimo_version="0.26.0") != base
    assert key(notebook(path), slim_wheels=False) != base
    (pyodide / "pyodide-lock.json").write_text('{"info": {"python": "3.14.1"}}')
    assert key(notebook(path)) != base  # another Pyodide


def test_group_of_site_files() -> None:
    app_pages = {"apps/solar.html": "solar"}
    assert group_of("apps/solar.html", app_pages) == "notebook:solar"
    assert group_of("apps/assets/index-abc.js", app_pages) == COMMON
    assert group_of("runtime/pyodide.asm.wasm", app_pages) == COMMON
    assert group_of("gallery/index.html", app_pages) == SHELL
    assert group_of("index.html", app_pages) == SHELL
