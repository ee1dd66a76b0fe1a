"""File helpers shared by the build and by infra: atomic writes, content hashes, hard-link-or-copy.

Several builds may share one cache folder at once (a `mkdocs serve` beside a test run, the benchmarks'
copies of the project), so every file written into a cache or a site lands whole or not at all.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A scratch path beside `target` to write to; it replaces `target` when the block ends without an
    error and is removed when it raises. The name carries the process and thread, so concurrent builds
    (and threads of one build) writing the same file never share a scratch file."""
    part = target.with_name(f"{target.name}.{os.getpid()}-{threading.get_ident()}.part")
    try:
        yield part
        part.replace(target)
    finally:
        part.unlink(missing_ok=True)


def write_atomic(target: Path, data: bytes | str) -> None:
    """Write `data` (text as UTF-8) to `target` so a reader sees the old file or the new, never half."""
    with atomic_path(target) as part:
        if isinstance(data, str):
            part.write_text(data, encoding="utf-8")
        else:
            part.write_bytes(data)


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes (hex), read in chunks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def digest_paths(paths: Iterable[Path]) -> str:
    """sha256 over each file's path (relative to its root's parent) and bytes; folders recursively, in order;
    `__pycache__` and missing paths left out. For cache keys: a renamed, added or changed file changes it."""
    digest = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for f in files:
            if "__pycache__" in f.parts or not f.exists():
                continue
            digest.update(str(f.relative_to(root.parent)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()


def link_or_copy(src: str | Path, dst: str | Path) -> None:
    """Hard-link `src` to `dst` (replacing it), copying where links are not possible (another file system).
    Only for files nobody changes in place: a cache's content-addressed files. The signature fits
    `shutil.copytree(copy_function=...)`."""
    dst = Path(dst)
    if dst.exists():
        dst.unlink()
    try:
        dst.hardlink_to(src)
    except OSError:
        shutil.copy2(src, dst)
