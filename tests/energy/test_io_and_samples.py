"""`io.read_bytes` by path and over HTTP, and the shipped sample files."""

from __future__ import annotations

import functools
import gzip
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mplat.energy import epw, io

SAMPLES = {
    "amsterdam.epw.gz": "NLD_Amsterdam062400_IWEC.epw",
    "piedmont.epw.gz": "tmy_45.000_8.000_2005_2023.epw",
}


@pytest.fixture(scope="module")
def examples(repo_root: Path) -> Path:
    return repo_root / "data" / "examples"


@pytest.fixture(scope="module")
def http_root(examples: Path) -> Iterator[str]:
    """A real http.server on 127.0.0.1 serving data/examples (as the site serves apps/public/)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(examples))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_are_the_reference_files(examples: Path, weather_dir: Path, name: str) -> None:
    assert gzip.decompress((examples / name).read_bytes()) == (weather_dir / SAMPLES[name]).read_bytes()


def test_notebooks_see_samples_through_the_public_symlink(repo_root: Path) -> None:
    public = repo_root / "notebooks" / "demos" / "public"
    assert public.is_symlink()
    assert public.resolve() == (repo_root / "data" / "examples").resolve()


def test_read_bytes_accepts_path_str_and_url(examples: Path, weather_dir: Path, http_root: str) -> None:
    expected = (weather_dir / SAMPLES["amsterdam.epw.gz"]).read_bytes()
    assert io.read_bytes(examples / "amsterdam.epw.gz") == expected
    assert io.read_bytes(str(examples / "amsterdam.epw.gz")) == expected
    assert io.read_bytes(f"{http_root}/amsterdam.epw.gz") == expected
    assert io.read_bytes(f"{http_root}/README.md") == (examples / "README.md").read_bytes()
    parsed = epw.read_epw(io.read_bytes(f"{http_root}/piedmont.epw.gz"))
    assert parsed.location.latitude == 45.0


def test_read_bytes_missing_file_raises_oserror(examples: Path, http_root: str) -> None:
    with pytest.raises(OSError):
        io.read_bytes(examples / "nope.epw.gz")
    with pytest.raises(OSError):  # urllib's HTTPError is an OSError
        io.read_bytes(f"{http_root}/nope.epw.gz")


@pytest.mark.parametrize("damage", ["truncated", "corrupted"])
def test_read_bytes_names_a_damaged_gzip_file(examples: Path, tmp_path: Path, damage: str) -> None:
    good = (examples / "amsterdam.epw.gz").read_bytes()
    bad = good[: len(good) // 2] if damage == "truncated" else good[:20] + bytes(200) + good[220:]
    path = tmp_path / "amsterdam.epw.gz"
    path.write_bytes(bad)
    with pytest.raises(
        io.DamagedGzipError, match=r"amsterdam\.epw\.gz: not a readable gzip file .*download or rebuild it"
    ):
        io.read_bytes(path)
