"""Boot slices: the part of each runtime wheel that a notebook's page load reads, shipped beside the wheel.

A page load imports about a third of a wheel's modules (the build's trace knows which: precompile.py), and
from those it reads only the build-time bytecode; yet the controller fetched whole wheels, sources
included: 13.4 MB of the demo's 28 MB cold load, most of it `.py` files a session never reads. A slice
holds, of one wheel:
- the bytecode of every traced module (its source instead, where none could be compiled);
- every file that is not a module: package data, `*.dist-info`, extension modules;
- an index (`SLICE_INDEX`) of every module of the whole wheel, with the wheel's name and hash.

The controller fetches the slice instead of the wheel (`boot_plan`), and `app/worker_boot.py` imports from
it; a module the slice lacks (one no trace imported), or a source that a traceback or `inspect` asks for,
makes it fetch the whole wheel then, once (sha256-checked against the lockfile, like the slice). The
service worker still caches every runtime file for offline use, whole wheels included, and marimo's own
controller (the fallback) still loads whole wheels from the lockfile, which is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path

from mplat.files import atomic_path, sha256_file

from .wheels import ZIP_EPOCH

SLICE_INDEX = "mplat-slice.json"  # the member app/worker_boot.py reads the wheel's module list from
SLICE_FORMAT = 2  # bump when the slice's layout or MIN_SLICED_BYTES changes: older results are not reused
SLICE_SUFFIX = ".boot.zip"
# Smaller wheels ship whole: a slice would save less than the request a module outside it costs on a slow
# link (the browser imports a few modules the build's trace under Node.js does not, e.g. of pyodide_http).
MIN_SLICED_BYTES = 256 * 1024


def worth_slicing(wheel: Path) -> bool:
    return wheel.stat().st_size >= MIN_SLICED_BYTES


def slice_name(wheel_name: str) -> str:
    """The slice's file name beside its wheel: `plotly-7.1.0-py3-none-any.boot.zip`."""
    return wheel_name.removesuffix(".whl") + SLICE_SUFFIX


def boot_slice(wheel: Path, imported: Iterable[str], cache_dir: Path, cache_tag: str) -> Path:
    """The slice of `wheel` (a runtime wheel with the build's bytecode, `__pycache__/<module>.<cache_tag>.pyc`)
    for the modules in `imported` (archive-relative `.py` paths), cached in `cache_dir` by the wheel's hash
    and that list."""
    wanted = sorted(set(imported))
    sha = sha256_file(wheel)
    key = hashlib.sha256(json.dumps([SLICE_FORMAT, sha, wanted, cache_tag]).encode()).hexdigest()[:24]
    target = cache_dir / "slices" / key / slice_name(wheel.name)
    if target.is_file():
        return target
    with zipfile.ZipFile(wheel) as whole:
        names = set(whole.namelist())
        sources = sorted(n for n in names if n.endswith(".py"))
        members = [n for n in sorted(names) if not n.endswith((".py", ".pyc", "/"))]
        for source in wanted:
            compiled = _bytecode(source, cache_tag)
            members.append(compiled if compiled in names else source)
        index = {"wheel": wheel.name, "sha256": sha, "sources": sources}
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as part, zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as out:
            for name in sorted(set(members) & names):
                out.writestr(_entry(name), whole.read(name))
            out.writestr(_entry(SLICE_INDEX), json.dumps(index, separators=(",", ":")))
    return target


def _bytecode(source: str, cache_tag: str) -> str:
    folder, _, file = source.rpartition("/")
    compiled = f"__pycache__/{file[:-3]}.{cache_tag}.pyc"
    return f"{folder}/{compiled}" if folder else compiled


def _entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)  # fixed time: the same bytes for the same content
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    return entry
