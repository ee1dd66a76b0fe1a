"""The shared file helpers (`mplat.files`) and the one Content-Type table (`mplat.content_types`)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from mplat.content_types import content_type
from mplat.files import atomic_path, digest_paths, link_or_copy, sha256_file, write_atomic
from mplat.gallery.preview import SiteServer


def test_write_atomic_replaces_whole_and_leaves_no_scratch_file(tmp_path: Path) -> None:
    target = tmp_path / "sw.js"
    target.write_text("old")
    write_atomic(target, "new ✓")
    write_atomic(tmp_path / "data.bin", b"\x00\x01")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert (tmp_path / "data.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin", "sw.js"]


def test_a_failed_write_keeps_the_old_file_and_nothing_half_written(tmp_path: Path) -> None:
    target = tmp_path / "wheel.whl"
    target.write_bytes(b"good")
    with pytest.raises(RuntimeError), atomic_path(target) as part:
        part.write_bytes(b"half")
        raise RuntimeError("download broke")
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["wheel.whl"]


def test_hashes(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_bytes(b"abc")
    assert sha256_file(tmp_path / "d" / "a.txt") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    before = digest_paths([tmp_path / "d"])
    (tmp_path / "d" / "__pycache__").mkdir()
    (tmp_path / "d" / "__pycache__" / "a.pyc").write_bytes(b"x")
    assert digest_paths([tmp_path / "d"]) == before  # bytecode caches do not count
    (tmp_path / "d" / "a.txt").rename(tmp_path / "d" / "b.txt")
    assert digest_paths([tmp_path / "d"]) != before  # a rename does


def test_link_or_copy_replaces_the_target(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.write_text("content")
    dst.write_text("stale")
    link_or_copy(src, dst)
    assert dst.read_text() == "content" and dst.stat().st_ino == src.stat().st_ino


def test_preview_serves_the_types_production_sends(tmp_path: Path) -> None:
    for name in ("pyodide.asm.wasm", "pyodide.mjs", "manifest.webmanifest", "numpy.whl", "index.html"):
        (tmp_path / name).write_bytes(b"x")
    server = SiteServer(tmp_path).start()
    try:
        for name in ("pyodide.asm.wasm", "pyodide.mjs", "manifest.webmanifest", "numpy.whl", "index.html"):
            with urllib.request.urlopen(server.url + name) as response:
                assert response.headers["Content-Type"] == content_type(name)
    finally:
        server.stop()
    assert content_type("runtime/pyodide.asm.wasm") == "application/wasm"
    assert content_type("apps/assets/index-BxYz12Ab.js") == "text/javascript; charset=utf-8"
