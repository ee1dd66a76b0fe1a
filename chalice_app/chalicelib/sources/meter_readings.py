"""Meter readings from a CSV endpoint behind HTTP basic auth.

Secret `{"url", "username", "password"}`. The body is a CSV with a header row
`meter_id,timestamp,kwh` (timestamps ISO 8601 with offset); it is stored as received.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Mapping

from chalicelib.errors import PayloadError
from chalicelib.httpclient import HttpClient
from chalicelib.sources.base import Column, Record, Source

COLUMNS = (Column("meter_id", "str"), Column("timestamp", "timestamp"), Column("kwh", "float"))


def fetch(http: HttpClient, secret: Mapping[str, str]) -> bytes:
    token = base64.b64encode(f"{secret['username']}:{secret['password']}".encode()).decode()
    return http.get(secret["url"], headers={"Authorization": f"Basic {token}", "Accept": "text/csv"}).body


def parse(payload: bytes) -> list[Record]:
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise PayloadError(f"meter_readings payload is not UTF-8 text (byte {err.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as err:
        raise PayloadError(
            f"meter_readings payload is not valid CSV (line {reader.line_num}): {err}"
        ) from None
    if not rows:
        raise PayloadError("meter_readings payload is empty (expected a header row)")
    header = [name.strip() for name in rows[0]]
    missing = [c.name for c in COLUMNS if c.name not in header]
    if missing:  # names only what we expected: the header itself is the API's content
        raise PayloadError(
            f"meter_readings CSV header (line 1, {len(header)} fields) lacks column(s) {missing}"
        )
    records: list[Record] = []
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise PayloadError(
                f"meter_readings CSV line {line} has {len(row)} fields, the header has {len(header)}"
            )
        records.append(dict(zip(header, row, strict=True)))
    return records


SOURCE = Source(
    name="meter_readings",
    description="Meter readings (CSV endpoint, HTTP basic auth)",
    schedule="rate(15 minutes)",
    secret_fields=("url", "username", "password"),
    extension="csv",
    columns=COLUMNS,
    fetch=fetch,
    parse=parse,
)
