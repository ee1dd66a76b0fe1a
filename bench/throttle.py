"""A slow link for the benchmarks, on the server side: every response, whoever asked for it, shares one
downlink of fixed bandwidth and starts one round trip late.

DevTools' `Network.emulateNetworkConditions` throttles only the page it is sent to (and its dedicated
workers): a service worker's own fetches run at full speed, which made a first visit to a page with a
service worker look faster than a slow link allows. Throttling at the server applies to all of them.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from mplat.gallery.preview import SiteHandler

CHUNK = 16 * 1024


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


def throttled_handler(link: SharedLink) -> type[SiteHandler]:
    """A site handler whose responses cross `link`: one round trip before the first byte, then its bandwidth."""

    class Throttled(SiteHandler):
        def setup(self) -> None:
            super().setup()
            self.wfile = _SlowWriter(self.wfile, link)  # type: ignore[assignment]

        def handle_one_request(self) -> None:
            link.request_started()
            try:
                time.sleep(link.rtt_s)  # the request's trip there and the response's first byte back
                super().handle_one_request()
            finally:
                link.request_ended()

    return Throttled
