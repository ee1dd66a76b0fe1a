"""The build's part of memory snapshots (src/mplat/gallery/memory_snapshot.py): what the snapshot holds,
the libraries preloaded for it, and the key that decides whether a stored snapshot may be restored. The
browser's part is in test_controller.py (made, restored, refused) and the offline tests (WebKit)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from mplat.gallery.controller import MARIMO_BOOT, boot_plan
from mplat.gallery.memory_snapshot import CORE_FILES, memory_snapshot_plan
from mplat.gallery.model import Notebook

SO = "msgspec/_core.cpython-314-wasm32-emscripten.so"


@pytest.fixture
def runtime(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name in CORE_FILES:
        (tmp_path / name).write_bytes(name.encode())
        files[name] = tmp_path / name
    for name in [*MARIMO_BOOT, "plotly"]:
        wheel = tmp_path / f"{name}.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(f"{name.replace('-', '_')}/__init__.py", "")
            if name == "msgspec":
                archive.writestr(SO, b"\0asm library")
        files[f"packages/{name}.whl"] = wheel
    return files


def _lock(**changes: dict) -> bytes:
    packages = {
        name: {"file_name": f"packages/{name}.whl", "sha256": f"{name}-sha", "imports": [name], "depends": []}
        for name in [*MARIMO_BOOT, "plotly"]
    }
    packages["marimo-base"]["depends"] = ["msgspec"]
    for name, change in changes.items():
        packages[name] = {**packages[name], **change}
    return json.dumps({"info": {"python": "3.14.0"}, "packages": packages}).encode()


def test_the_snapshot_holds_marimos_boot_set_and_preloads_its_extension_modules(runtime: dict) -> None:
    plan, libraries = memory_snapshot_plan(runtime, _lock(), {}, "controller")
    assert plan is not None
    assert set(plan["base"]) == set(MARIMO_BOOT)  # not a notebook's own package: one snapshot per site
    assert plan["libraries"] == [[f"/lib/python3.14/site-packages/{SO}", libraries[0].file]]
    assert libraries[0].file.startswith("snapshot/") and libraries[0].data == b"\0asm library"
    page = boot_plan(_lock(), _notebook("plotly"), "assets/worker-x.js", "../runtime/", memory_snapshot=plan)
    assert page["memorySnapshot"] == plan and set(plan["base"]) <= set(page["archives"])


def _notebook(*imports: str) -> Notebook:
    return Notebook(Path("nb.py"), "nb", "NB", "", (), 1, ("marimo",), frozenset({"marimo", *imports}))


def test_the_key_changes_with_what_the_snapshots_memory_depends_on(runtime: dict, tmp_path: Path) -> None:
    def key(lock: bytes = _lock(), controller: str = "controller", files: dict = runtime) -> str:
        plan, _ = memory_snapshot_plan(files, lock, {}, controller)
        assert plan is not None
        return plan["key"]

    first = key()
    assert key() == first
    assert key(_lock(plotly={"sha256": "another"})) == first  # a notebook's own package: attached after
    assert key(_lock(micropip={"sha256": "another"})) != first
    assert key(controller="controller v2") != first
    wasm = tmp_path / "other.wasm"
    wasm.write_bytes(b"another runtime")
    assert key(files={**runtime, "pyodide.asm.wasm": wasm}) != first


def test_a_boot_set_needing_a_shared_library_is_never_snapshotted(runtime: dict) -> None:
    lock = _lock(micropip={"shared_library": True, "package_type": "shared_library"})
    assert memory_snapshot_plan(runtime, lock, {}, "controller") == (None, [])


def test_packages_every_notebook_boots_with_are_in_the_snapshot_too(runtime: dict) -> None:
    plan, _ = memory_snapshot_plan(runtime, _lock(), {}, "controller", shared=["plotly"])
    assert plan is not None and "plotly" in plan["base"]
    other, _ = memory_snapshot_plan(
        runtime, _lock(plotly={"sha256": "another"}), {}, "controller", ["plotly"]
    )
    assert other is not None and other["key"] != plan["key"]  # now part of what the snapshot holds
    needs_library = _lock(plotly={"shared_library": True, "package_type": "shared_library"})
    plan, _ = memory_snapshot_plan(runtime, needs_library, {}, "controller", shared=["plotly"])
    assert plan is not None and "plotly" not in plan["base"]  # attached after the restore, as before
