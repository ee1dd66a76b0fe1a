"""A slow link for the benchmarks, on the server side: every response, whoever asked for it, shares one
downlink of fixed bandwidth and starts one round trip late; compressed as CloudFront compresses it.

DevTools' `Network.emulateNetworkConditions` throttles only the page it is sent to (and its dedicated
workers): a service worker's own fetches run at full speed, which made a first visit to a page with a
service worker look faster than a slow link allows. Throttling at the server applies to all of them.

CloudFront (`Compress: true`) gzips or brotli-compresses responses of 1 kB to 10 MB with a compressible
type (text, JavaScript, JSON, WebAssembly, SVG…) for viewers that accept it; wheels and zips (already
compressed) go as they are. `throttled_handler(compress=True)` does the same with gzip: over plain HTTP, as
here, Chromium does not offer brotli (over HTTPS CloudFront would send brotli, a little smaller still).
"""

from __future__ import annotations

import gzip
import os
import threading
import time
from typing import Any

from mplat.gallery.preview import SiteHandler

CHUNK = 16 * 1024
# What CloudFront compresses (its documented list, as it applies to this site's files).
COMPRESSIBLE = (
    "text/", "application/javascript", "application/json", "application/manifest+json",
    "application/wasm", "application/xml", "image/svg+xml", "image/x-icon", "font/ttf", "font/otf",
)  # fmt: skip
COMPRESS_MIN, COMPRESS_MAX = 1_000, 10_000_000


class SharedLink:
    """One downlink: bytes leave in arrival order at `bits_per_s`, whatever connection they belong to."""

    def __init__(self, bits_per_s: float, rtt_s: float) -> None:
        self.bytes_per_s = bits_per_s / 8
        self.rtt_s = rtt_s
        self._lock = threading.Lock()
        self._free_at = time.monotonic()
        self._in_flight = 0
        self._last_activity = time.monotonic()

    def request_started(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._last_activity = time.monotonic()

    def request_ended(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._last_activity = time.monotonic()

    def wait_idle(self, quiet_s: float = 3.0, timeout_s: float = 600.0) -> bool:
        """Until no response has been in flight for `quiet_s` (a service worker's background caching done)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                idle = self._in_flight == 0 and time.monotonic() - self._last_activity >= quiet_s
            if idle:
                return True
            time.sleep(0.2)
        return False

    def transmit(self, size: int) -> None:
        """Wait until `size` bytes have crossed the link."""
        with self._lock:
            start = max(time.monotonic(), self._free_at)
            self._free_at = start + size / self.bytes_per_s
            done = self._free_at
        time.sleep(max(0.0, done - time.monotonic()))


class _SlowWriter:
    def __init__(self, raw: Any, link: SharedLink) -> None:
        self._raw, self._link = raw, link

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        for start in range(0, len(view), CHUNK):
            piece = view[start : start + CHUNK]
            self._link.transmit(len(piece))
            self._raw.write(piece)
        return len(data)

    def flush(self) -> None:
        self._raw.flush()

    def close(self) -> None:
        self._raw.close()


_gzipped: dict[tuple[str, int], bytes] = {}  # (path, mtime) → body: each file is compressed once per run


def _gzip(path: str) -> bytes:
    key = (path, os.stat(path).st_mtime_ns)
    if key not in _gzipped:
        with open(path, "rb") as f:
            _gzipped[key] = gzip.compress(f.read(), compresslevel=6, mtime=0)
    return _gzipped[key]


def throttled_handler(link: SharedLink, compress: bool = True) -> type[SiteHandler]:
    """A site handler whose responses cross `link`: one round trip before the first byte, then its bandwidth;
    with `compress`, compressible responses are gzipped as CloudFront would."""

    class Throttled(SiteHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            path = self.translate_path(self.path)
            if os.path.isdir(path) and self.path.split("?")[0].endswith("/"):
                path = os.path.join(path, "index.html")
            accepts = "gzip" in self.headers.get("Accept-Encoding", "")
            conditional = "If-Modified-Since" in self.headers or "If-None-Match" in self.headers
            if not (compress and accepts and not conditional and os.path.isfile(path)):
                return super().do_GET()
            size = os.path.getsize(path)
            ctype = self.guess_type(path)
            if not (COMPRESS_MIN <= size <= COMPRESS_MAX and ctype.startswith(COMPRESSIBLE)):
                return super().do_GET()
            body = _gzip(path)
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Vary", "Accept-Encoding")
            self.send_header("Last-Modified", self.date_time_string(int(os.path.getmtime(path))))
            self.end_headers()
            self.wfile.write(body)  # type: ignore[has-type]

        def setup(self) -> None:
            super().setup()
            self.wfile = _SlowWriter(self.wfile, link)  # type: ignore[assignment,has-type]

        def handle_one_request(self) -> None:
            link.request_started()
            try:
                time.sleep(link.rtt_s)  # the request's trip there and the response's first byte back
                super().handle_one_request()
            finally:
                link.request_ended()

    return Throttled
