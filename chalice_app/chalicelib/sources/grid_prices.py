"""Day-ahead grid prices from a JSON REST API.

Secret `{"url", "api_key"}`; the key goes in the `X-Api-Key` header. Pages look like
`{"data": [{"timestamp": "...Z", "zone": "NL", "price_eur_mwh": 81.2}, ...], "next_cursor": "abc" | null}` and
the next page is `GET url?cursor=abc`. All pages are joined into one JSON array (one raw object per run).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib.errors import PayloadError
from chalicelib.httpclient import HttpClient
from chalicelib.sources.base import Column, Record, Source, decode_json

MAX_PAGES = 1000  # a cursor loop in the API must not keep a Lambda busy until its timeout


def fetch(http: HttpClient, secret: Mapping[str, str]) -> bytes:
    records: list[Any] = []
    cursor: str | None = None
    seen: set[str] = set()
    for page in range(1, MAX_PAGES + 1):
        response = http.get(
            secret["url"],
            headers={"X-Api-Key": secret["api_key"], "Accept": "application/json"},
            params={"cursor": cursor} if cursor else None,
        )
        document = decode_json(response.body, f"grid_prices page {page}")
        if not isinstance(document, dict) or not isinstance(document.get("data"), list):
            raise PayloadError(f"grid_prices page {page} has no `data` list")
        records.extend(document["data"])
        cursor = document.get("next_cursor")
        if not cursor:
            break
        if not isinstance(cursor, str) or cursor in seen:
            raise PayloadError(
                f"grid_prices page {page}: next_cursor is not a string or repeats an earlier one"
            )
        seen.add(cursor)
    else:
        raise PayloadError(f"grid_prices: more than {MAX_PAGES} pages; is the cursor advancing?")
    # Canonical form: the same records give the same bytes, hence the same content hash (no duplicate objects).
    return json.dumps(records, sort_keys=True, separators=(",", ":")).encode()


def parse(payload: bytes) -> list[Record]:
    records = decode_json(payload, "grid_prices payload")
    if not isinstance(records, list):
        raise PayloadError("grid_prices payload is not a JSON array")
    return records


SOURCE = Source(
    name="grid_prices",
    description="Day-ahead grid prices (JSON API, API-key header, cursor pagination)",
    schedule="rate(1 hour)",
    secret_fields=("url", "api_key"),
    extension="json",
    columns=(Column("timestamp", "timestamp"), Column("zone", "str"), Column("price_eur_mwh", "float")),
    fetch=fetch,
    parse=parse,
)
