"""Memory snapshots of the kernel worker's Python, taken after marimo's import: the build's part.

Starting Pyodide's interpreter and importing marimo's runtime take ~2 s of a warm notebook load, the same
work on every visit. Pyodide can serialise its memory once that is done (`makeMemorySnapshot`, a private
API in the pinned 314.0.0) and start a later interpreter from it (`_loadSnapshot`). mplat's controller
(`app/controller.js`) does so: the first visit's boot makes the snapshot and keeps it in the browser's
Cache Storage; later visits, offline ones included, restore it instead of starting Python, and boot the
normal way whenever the stored one is missing, refused or for another build. Details in docs/ipad.md.

What the build gives the controller (the plan's `snapshot`):

- **The base**: marimo's boot set (`MARIMO_BOOT` and its closure) and the packages every browser notebook of
  the site boots with (the demos' plotly and `mplat`), all imported from archives. The snapshot is taken
  with only these wheels attached and the modules a page load imports from them imported (the ones the
  build compiled: `worker_boot.py`), so one snapshot serves every notebook of the site; a notebook's other
  wheels are attached after the restore.
- **Libraries preloaded before Python starts**: the base's extension modules (msgspec's `_core`). A module
  loaded by `dlopen` after start-up lands at addresses a later boot would not reproduce; loaded through
  Emscripten's `dynamicLibraries`, it is placed right after the runtime's own data, at the same addresses
  in the boot that makes the snapshot and in the one that restores it. Published under `runtime/snapshot/`.
- **A key**: a hash of everything the snapshot's memory depends on (Pyodide's files, the base's archives,
  the libraries, the controller with its Python). A stored snapshot under another key is never restored.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mplat.files import sha256_file

from .controller import MARIMO_BOOT, closure, imported_from_archive

SNAPSHOT_FORMAT = 1  # bump when what the controller puts in a snapshot changes without a file changing
LIBRARY_DIR = "snapshot"  # under the runtime folder
# A browser's snapshot: in Cache Storage (this cache), at a URL in the same folder (never a file of the site).
SNAPSHOT_CACHE = "mplat-memory-snapshot"
SNAPSHOT_DIR = LIBRARY_DIR
# Pyodide's files whose bytes are the snapshot's starting point.
CORE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")


@dataclass(frozen=True)
class SnapshotLibrary:
    """An extension module of the base, preloaded before Python starts."""

    site_path: str  # where Python imports it from in the browser: /lib/python3.14/site-packages/…
    file: str  # published under the runtime folder
    data: bytes


def base_archives(lock: dict, shared: Iterable[str] = ()) -> list[str]:
    """The wheels a snapshot has attached: marimo's boot set, and the packages every browser notebook of the
    site boots with (`shared`, e.g. plotly), all imported from archives. Empty when marimo's boot set cannot
    be (a shared-library package must be loaded by Pyodide's loader, which a snapshot cannot hold)."""
    names = closure(lock, MARIMO_BOOT)
    if not all(imported_from_archive(lock, name) for name in names):
        return []
    common = closure(lock, [*names, *shared])
    return [
        n for n in common if n in names or all(imported_from_archive(lock, d) for d in closure(lock, [n]))
    ]


def _boot_file(lock: dict, slices: Mapping[str, tuple[str, str]], name: str) -> tuple[str, str]:
    """(file under the runtime folder, sha256) the controller attaches for a package: slice or wheel."""
    if name in slices:
        return slices[name][0], slices[name][1]
    return lock[name]["file_name"], lock[name]["sha256"]


def snapshot_libraries(
    runtime_files: Mapping[str, Path],
    lock: dict,
    slices: Mapping[str, tuple[str, str]],
    base: Sequence[str],
    python: str,
) -> list[SnapshotLibrary]:
    """The base archives' extension modules. `python`: the runtime's version ("3.14.0")."""
    site = f"/lib/python{'.'.join(python.split('.')[:2])}/site-packages"
    found = []
    for name in base:
        with zipfile.ZipFile(runtime_files[_boot_file(lock, slices, name)[0]]) as archive:
            for member in sorted(archive.namelist()):
                if member.endswith(".so"):
                    data = archive.read(member)
                    digest = hashlib.sha256(data).hexdigest()[:16]
                    file = f"{LIBRARY_DIR}/{digest}-{posixpath.basename(member)}"
                    found.append(SnapshotLibrary(f"{site}/{member}", file, data))
    return found


def memory_snapshot_plan(
    runtime_files: Mapping[str, Path],
    lockfile: bytes,
    slices: Mapping[str, tuple[str, str]],
    controller: str,
    shared: Iterable[str] = (),
) -> tuple[dict | None, list[SnapshotLibrary]]:
    """The plan's `snapshot` entry (None: this runtime cannot be snapshotted) and the libraries to publish.
    `controller`: the published controller's source (its Python included); `shared`: the packages every
    browser notebook's plan has (their modules a page load imports are imported into the snapshot too)."""
    document = json.loads(lockfile)
    lock = document["packages"]
    base = base_archives(lock, shared)
    if not base:
        return None, []
    libraries = snapshot_libraries(runtime_files, lock, slices, base, document["info"]["python"])
    key = hashlib.sha256()
    key.update(json.dumps(["mplat-snapshot", SNAPSHOT_FORMAT]).encode())
    for name in CORE_FILES:
        key.update(f"{name}:{sha256_file(runtime_files[name])}\n".encode())
    for name in base:
        key.update(f"{name}:{_boot_file(lock, slices, name)[1]}\n".encode())
    for library in libraries:
        key.update(f"{library.site_path}:{hashlib.sha256(library.data).hexdigest()}\n".encode())
    key.update(hashlib.sha256(controller.encode()).digest())
    plan = {
        "key": key.hexdigest()[:32],
        # where a browser keeps it: Cache Storage's `cache`, under `file` relative to the runtime (the gate
        # reads it as the page starts; the controller writes it)
        "cache": SNAPSHOT_CACHE,
        "file": f"{SNAPSHOT_DIR}/{key.hexdigest()[:32]}.bin",
        "base": base,
        "libraries": [[library.site_path, library.file] for library in libraries],
    }
    return plan, libraries


def write_snapshot_libraries(libraries: Sequence[SnapshotLibrary], runtime_dir: Path) -> None:
    for library in libraries:
        path = runtime_dir / library.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(library.data)
