"""Reading and writing wheels: metadata for the lockfile, local library wheels, pure-Python repacks,
copies without the members a browser never reads."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from mplat.files import sha256_file, write_atomic

# The environment Pyodide 314 (Python 3.14, emscripten) reports to environment markers.
PYODIDE_MARKER_ENV = {
    "python_version": "3.14",
    "python_full_version": "3.14.2",
    "sys_platform": "emscripten",
    "platform_system": "Emscripten",
    "platform_machine": "wasm32",
    "platform_release": "",
    "platform_version": "",
    "os_name": "posix",
    "implementation_name": "cpython",
    "implementation_version": "3.14.2",
    "platform_python_implementation": "CPython",
    "extra": "",
}
PYODIDE_PLATFORM_TAG = "pyemscripten_2026_0_wasm32"
# A fixed timestamp keeps generated wheels byte-identical across builds (stable content hashes).
ZIP_EPOCH = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class WheelInfo:
    path: Path
    name: str  # canonical distribution name
    version: str
    requires: tuple[Requirement, ...]  # dependencies that apply in Pyodide
    top_level: tuple[str, ...]

    @property
    def sha256(self) -> str:
        return sha256_file(self.path)


def is_browser_compatible(filename: str) -> bool:
    """True for pure-Python wheels and wheels built for Pyodide's platform."""
    _, _, _, tags = parse_wheel_filename(filename)
    return any(
        t.platform in ("any", PYODIDE_PLATFORM_TAG) and t.abi in ("none", "abi3", "cp314") for t in tags
    )


def read_wheel(path: Path) -> WheelInfo:
    name, version, _, _ = parse_wheel_filename(path.name)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        metadata = Parser().parsestr(zf.read(meta_name).decode("utf-8", "replace"))
    requires = []
    for line in metadata.get_all("Requires-Dist") or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(PYODIDE_MARKER_ENV):
            requires.append(req)
    return WheelInfo(path, canonicalize_name(name), str(version), tuple(requires), _top_level_modules(names))


def _top_level_modules(names: list[str]) -> tuple[str, ...]:
    """Importable top-level names, from the archive layout (top_level.txt is optional and often absent)."""
    tops: set[str] = set()
    for n in names:
        first = n.split("/", 1)[0]
        if first.endswith((".dist-info", ".data")) or first.startswith("__"):
            continue
        if "/" in n:
            tops.add(first)
        elif n.endswith(".py"):
            tops.add(first[:-3])
        elif re.search(r"\.(so|pyd)$", n):
            tops.add(first.split(".", 1)[0])
    return tuple(sorted(t for t in tops if t.isidentifier()))


def record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def write_wheel(
    dest_dir: Path,
    dist: str,
    version: str,
    files: dict[str, bytes],
    tag: str = "py3-none-any",
    metadata: bytes | None = None,
) -> Path:
    """Write a deterministic wheel holding `files` (archive name → bytes)."""
    norm = re.sub(r"[-_.]+", "_", dist)
    dist_info = f"{norm}-{version}.dist-info"
    meta = {
        f"{dist_info}/METADATA": metadata
        or f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode(),
        f"{dist_info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: mplat\nRoot-Is-Purelib: true\nTag: {tag}\n".encode(),
    }
    everything = {**dict(sorted(files.items())), **meta}
    record = "\n".join([*(record_line(k, v) for k, v in everything.items()), f"{dist_info}/RECORD,,"]) + "\n"
    everything[f"{dist_info}/RECORD"] = record.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in everything.items():
            info = zipfile.ZipInfo(arcname, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    dest_dir.mkdir(parents=True, exist_ok=True)
    out = dest_dir / f"{norm}-{version}-{tag}.whl"
    write_atomic(out, buffer.getvalue())  # a build sharing this cache never reads a half-written wheel
    return out


def repack_pure(wheel: Path, dest_dir: Path) -> Path:
    """Drop compiled extensions from a wheel whose C code is an optional speed-up, retag it `py3-none-any`.

    Used for packages such as PyYAML that fall back to pure Python when their extension is missing.
    """
    name, version, _, _ = parse_wheel_filename(wheel.name)
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(wheel) as zf:
        for n in zf.namelist():
            if re.search(r"\.(so|pyd)$", n) or ".dist-info/" in n:
                continue
            files[n] = zf.read(n)
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(meta_name)
    # Keep the original METADATA so the repacked wheel declares the same dependencies.
    return write_wheel(dest_dir, str(name), str(version), files, metadata=metadata)


def without_members(wheel: Path, dest_dir: Path, drop: Callable[[str], bool]) -> Path:
    """A copy of `wheel` in `dest_dir`, same file name, without the members `drop` selects, and its RECORD
    rewritten to match. Every kept member keeps its bytes and zip entry, so the same input gives the same
    output."""
    out = dest_dir / wheel.name
    buffer = io.BytesIO()
    with zipfile.ZipFile(wheel) as zin, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zout:
        gone = {n for n in zin.namelist() if drop(n)}
        for info in zin.infolist():
            if info.filename in gone:
                continue
            data = zin.read(info.filename)
            if info.filename.endswith(".dist-info/RECORD"):
                lines = data.decode("utf-8").splitlines(keepends=True)
                data = "".join(line for line in lines if line.split(",", 1)[0] not in gone).encode()
            zout.writestr(info, data)
    dest_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(out, buffer.getvalue())  # a build sharing this cache never reads a half-written wheel
    return out
