"""A fake of the two example APIs, for tests and the local stack (`mplat dev up`), on 127.0.0.1.

- `GET /grid-prices[?cursor=C]` with header `X-Api-Key`: JSON pages `{"data": [...], "next_cursor": ...}`.
- `GET /meter-readings.csv` with HTTP basic auth: CSV `meter_id,timestamp,kwh`.
- `POST /_knobs` with a JSON object sets failure knobs (same fields as `Knobs`); `GET /_requests` lists requests.

The data is deterministic, so fetching twice gives the same payload (and the same content hash).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import math
import secrets
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CET = dt.timezone(dt.timedelta(hours=1))


@dataclass
class Knobs:
    """Failure knobs; they apply to both endpoints (not to /_knobs and /_requests)."""

    fail_next: list[int] = field(default_factory=list)  # statuses for the next requests, e.g. [500, 500]
    fail_always: int | None = None  # answer every request with this status
    retry_after: str | None = None  # `Retry-After` header sent with failures
    malformed: bool = False  # broken JSON / ragged CSV
    oversize_bytes: int = 0  # pad the body to at least this many bytes
    omit_content_length: bool = False  # stream the body without Content-Length (tests the read cap)
    delay_seconds: float = 0.0  # wait before answering (client timeouts)
    redirect_to: str | None = None  # answer 302 with this Location (credential-forwarding checks)
    grid_records: int = 48
    page_size: int = 20
    meter_rows: int = 96


@functools.cache  # every page request slices the same list: build it once per size
def _grid_price_records(count: int) -> tuple[dict[str, Any], ...]:
    return tuple(grid_price_records(count))


def grid_price_records(count: int) -> list[dict[str, Any]]:
    zones = ("NL", "DE", "BE")
    return [
        {
            "timestamp": (START + dt.timedelta(hours=i // len(zones))).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "zone": zones[i % len(zones)],
            "price_eur_mwh": round(60 + 25 * math.sin(i / 24 * 2 * math.pi) + (i % 7), 2),
        }
        for i in range(count)
    ]


def meter_csv(rows: int) -> str:
    lines = ["meter_id,timestamp,kwh"]
    for i in range(rows):
        local = (START + dt.timedelta(minutes=15 * (i // 2))).astimezone(CET)
        lines.append(f"M-{1 + i % 2:03d},{local.isoformat()},{round(0.4 + 0.3 * math.cos(i / 12), 3)}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Credentials:
    api_key: str
    username: str
    password: str

    @classmethod
    def generate(cls) -> Credentials:
        return cls(secrets.token_urlsafe(18), "meter-reader", secrets.token_urlsafe(18))


class FakeApi:
    def __init__(
        self, credentials: Credentials | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.credentials = credentials or Credentials.generate()
        self.knobs = Knobs()
        self.requests: list[tuple[str, int]] = []  # (path, status) of each answered request
        self._lock = threading.Lock()
        self._server = _QuietServer((host, port), _handler_class(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-api", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"  # !s: mypy types server_address as str or bytes

    def secrets(self) -> dict[str, dict[str, str]]:
        """The secret value each example source needs to reach this server."""
        return {
            "grid_prices": {"url": f"{self.base_url}/grid-prices", "api_key": self.credentials.api_key},
            "meter_readings": {
                "url": f"{self.base_url}/meter-readings.csv",
                "username": self.credentials.username,
                "password": self.credentials.password,
            },
        }

    def set_knobs(self, **changes: Any) -> None:
        with self._lock:
            known = {f.name for f in fields(Knobs)}
            unknown = set(changes) - known
            if unknown:
                raise ValueError(f"unknown knob(s) {sorted(unknown)}; known: {sorted(known)}")
            self.knobs = Knobs(**{**asdict(self.knobs), **changes})

    def start(self) -> FakeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- request handling (called from server threads) ---
    def _next_failure(self) -> int | None:
        with self._lock:
            if self.knobs.fail_next:
                return self.knobs.fail_next.pop(0)
            return self.knobs.fail_always

    def answer(
        self, path: str, query: dict[str, list[str]], headers: Any
    ) -> tuple[int, dict[str, str], bytes]:
        knobs = self.knobs
        if knobs.delay_seconds:
            time.sleep(knobs.delay_seconds)
        if knobs.redirect_to:
            return 302, {"Location": knobs.redirect_to}, b""
        failure = self._next_failure()
        if failure is not None:
            extra = {"Retry-After": knobs.retry_after} if knobs.retry_after else {}
            return failure, {"Content-Type": "application/json", **extra}, b'{"error": "injected failure"}'
        if path == "/grid-prices":
            if headers.get("X-Api-Key") != self.credentials.api_key:
                return 401, {"Content-Type": "application/json"}, b'{"error": "bad api key"}'
            return 200, {"Content-Type": "application/json"}, self._grid_page(query, knobs)
        if path == "/meter-readings.csv":
            expected = base64.b64encode(
                f"{self.credentials.username}:{self.credentials.password}".encode()
            ).decode()
            if headers.get("Authorization") != f"Basic {expected}":
                return (
                    401,
                    {"Content-Type": "text/plain", "WWW-Authenticate": 'Basic realm="meters"'},
                    b"unauthorized",
                )
            body = meter_csv(knobs.meter_rows)
            if knobs.malformed:
                body += "M-009,2026-01-01T00:00:00+01:00,1.0,unexpected\n"
            if knobs.oversize_bytes:
                body += "#" * max(0, knobs.oversize_bytes - len(body))
            return 200, {"Content-Type": "text/csv"}, body.encode()
        return 404, {"Content-Type": "text/plain"}, b"not found"

    @staticmethod
    def _grid_page(query: dict[str, list[str]], knobs: Knobs) -> bytes:
        records = _grid_price_records(knobs.grid_records)
        offset = int(query.get("cursor", ["c0"])[0].lstrip("c") or 0)
        page = records[offset : offset + knobs.page_size]
        following = offset + knobs.page_size
        document: dict[str, Any] = {
            "data": page,
            "next_cursor": f"c{following}" if following < len(records) else None,
        }
        if knobs.oversize_bytes:
            document["padding"] = "x" * knobs.oversize_bytes
        body = json.dumps(document).encode()
        return body[: len(body) // 2] if knobs.malformed else body


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-body (size cap, timeout) is expected here, not worth a traceback."""


def _handler_class(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(
            self, format: str, *args: Any
        ) -> None:  # quiet: tests and `mplat dev up` own the output
            pass

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if not (api.knobs.omit_content_length and status == 200):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/_requests":
                self._send(200, {"Content-Type": "application/json"}, json.dumps(api.requests).encode())
                return
            status, headers, body = api.answer(url.path, urllib.parse.parse_qs(url.query), self.headers)
            with api._lock:
                api.requests.append((url.path, status))
            self._send(status, headers, body)

        def do_POST(self) -> None:  # noqa: N802
            if urllib.parse.urlsplit(self.path).path != "/_knobs":
                self._send(404, {}, b"")
                return
            try:
                api.set_knobs(**json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
            except (ValueError, TypeError) as err:
                self._send(400, {"Content-Type": "text/plain"}, str(err).encode())
                return
            self._send(200, {"Content-Type": "application/json"}, json.dumps(asdict(api.knobs)).encode())

    return Handler
