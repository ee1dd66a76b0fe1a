"""Scratch space for intermediate files (EFS at `/app/scratch` on Fargate), with a size guard.

EFS has no quota, so the guard is ours: before anything is staged, its size is added to what the folder already
holds and the write is refused if the total would pass the limit (2 GB by default). Files are written to a
temporary name and renamed when complete, so a refused or failed write leaves nothing behind. Several sessions
share the folder, so the guard is best effort; the EFS size alarm (infra) catches what slips through.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

PARTIAL_SUFFIX = ".partial"


class ScratchFull(Exception):
    """Staging would take scratch past its limit; the message gives the numbers and what to do."""


@dataclass(frozen=True)
class ScratchFile:
    name: str
    size: int


def human_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class ScratchSpace:
    root: Path
    limit_bytes: int

    def ensure_exists(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def files(self) -> list[ScratchFile]:
        if not self.root.is_dir():
            return []
        return sorted(
            (ScratchFile(path.relative_to(self.root).as_posix(), path.stat().st_size)
             for path in self.root.rglob("*") if path.is_file()),
            key=lambda item: item.name,
        )  # fmt: skip

    def used_bytes(self) -> int:
        return sum(item.size for item in self.files())

    def path_for(self, name: str) -> Path:
        """A path inside scratch for a relative name; refuses absolute paths and `..`."""
        relative = PurePosixPath(name)
        if not name or relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"scratch file name {name!r} must be a relative path without '..'")
        return self.root / relative

    def ensure_room(self, incoming_bytes: int, replacing: str | None = None) -> None:
        """Raise ScratchFull if `incoming_bytes` more would pass the limit (a replaced file's size is freed)."""
        used = self.used_bytes()
        if replacing is not None and (old := self.path_for(replacing)).is_file():
            used -= old.stat().st_size
        if used + incoming_bytes > self.limit_bytes:
            raise ScratchFull(
                f"staging {human_bytes(incoming_bytes)} would take scratch to "
                f"{human_bytes(used + incoming_bytes)}, over its {human_bytes(self.limit_bytes)} limit "
                f"({human_bytes(used)} used): delete files you no longer need first"
            )

    def stage(self, name: str, size: int, write: Callable[[BinaryIO], object]) -> Path:
        """Check room for `size` bytes, let `write` fill a temporary file, then move it into place."""
        target = self.path_for(name)
        self.ensure_room(size, replacing=name)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}")
        try:
            with partial.open("wb") as handle:
                write(handle)
            written = partial.stat().st_size
            if written > size:
                raise ScratchFull(
                    f"{name}: wrote {written} bytes but {size} were announced; nothing was kept"
                )
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return target

    def stage_bytes(self, name: str, data: bytes) -> Path:
        return self.stage(name, len(data), lambda handle: handle.write(data))

    def stage_file(self, name: str, source: Path) -> Path:
        def copy(handle: BinaryIO) -> None:
            with source.open("rb") as reader:
                shutil.copyfileobj(reader, handle)

        return self.stage(name, source.stat().st_size, copy)

    def remove(self, name: str) -> None:
        self.path_for(name).unlink(missing_ok=True)
