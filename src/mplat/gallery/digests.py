"""Content digests of input files and folders, for the build caches' keys."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def digest_paths(paths: Iterable[Path]) -> str:
    """sha256 over each file's path (relative to its root's parent) and bytes; folders recursively, in order;
    `__pycache__` and missing paths left out."""
    digest = hashlib.sha256()
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for f in files:
            if "__pycache__" in f.parts or not f.exists():
                continue
            digest.update(str(f.relative_to(root.parent)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()
