"""Read sample data the same way in CPython and in the browser.

Notebooks pass `mo.notebook_location() / "public" / "file"`: a `pathlib.Path` when run by CPython, a
URL (marimo's `URLPath`) in a WebAssembly export. URLs are fetched with urllib, which marimo's Pyodide
runtime routes through the browser (pyodide-http), so the same call works in both places.
"""

from __future__ import annotations

import gzip
import zlib
from os import PathLike
from pathlib import Path


class DamagedGzipError(OSError):
    """A `.gz` file that is there but cannot be decompressed (truncated or damaged on the way)."""


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def read_bytes(location: str | PathLike[str]) -> bytes:
    """The file's content; `.gz` files are decompressed. Raises OSError, naming the file, when it cannot be read
    (missing or unreachable), and its subclass DamagedGzipError for a truncated or damaged gzip file."""
    text = str(location)
    if _is_url(text):
        import urllib.request  # here, not at the top: it pulls in http/ssl/email (~0.1 s CPython, more in WASM)

        with urllib.request.urlopen(text, timeout=60) as response:  # noqa: S310 (http(s) checked above)
            data = response.read()
    else:
        data = Path(text).read_bytes()
    # Decompress by content, not only by name: a server may already have removed the gzip layer.
    if text.endswith(".gz") and data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise DamagedGzipError(
                f"{text}: not a readable gzip file ({exc}); download or rebuild it"
            ) from exc
    return data
