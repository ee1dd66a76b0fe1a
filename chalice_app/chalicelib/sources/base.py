"""What a source module declares, and the record checks shared by ingestion and `normalize`.

A source module (`chalicelib/sources/<name>.py`) defines `SOURCE = Source(...)` with:
- `schedule`: a Chalice/EventBridge expression, e.g. "rate(1 hour)" or "cron(15 * * * ? *)";
- `secret_fields`: the JSON fields of its secret `mplat/<env>/ingest/<name>`;
- `fetch(http, secret) -> bytes`: the payload to store (all pages joined), using the retrying `http` client;
- `parse(payload) -> list of dicts`: the records, raising `PayloadError` when the payload is malformed;
- `columns`: the typed record format; `normalize` writes these columns as a tidy CSV.

Errors about a payload say *where* (page, record, line, column) and *what kind* of value was wrong, never the
value itself: failure records and logs must not copy what an API sent (it may be personal or confidential).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from chalicelib.errors import PayloadError
from chalicelib.httpclient import HttpClient

ColumnType = Literal["str", "int", "float", "timestamp"]
Record = dict[str, Any]

CONTENT_TYPES = {"json": "application/json", "csv": "text/csv", "jsonl": "application/x-ndjson"}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType


@dataclass(frozen=True, kw_only=True)
class Source:
    name: str
    description: str
    schedule: str
    secret_fields: tuple[str, ...]
    extension: str
    columns: tuple[Column, ...]
    fetch: Callable[[HttpClient, Mapping[str, str]], bytes]
    parse: Callable[[bytes], list[Record]]

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(self.extension, "application/octet-stream")

    def records(self, payload: bytes) -> list[Record]:
        """Parse and type-check a payload: every record must carry every column with a valid value."""
        return [
            typed_record(raw, self.columns, where=f"{self.name} record {i + 1}")
            for i, raw in enumerate(self.parse(payload))
        ]


def parse_timestamp(value: str) -> dt.datetime:
    """ISO 8601 with an offset or `Z` → aware UTC datetime. Naive times are refused: their zone is a guess."""
    when = dt.datetime.fromisoformat(value.strip())
    if when.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no UTC offset")
    return when.astimezone(dt.UTC)


def format_value(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return repr(value) if isinstance(value, float) else str(value)


def typed_record(raw: Any, columns: Sequence[Column], *, where: str) -> Record:
    if not isinstance(raw, Mapping):
        raise PayloadError(f"{where} is not an object/row but a JSON {_kind(raw)}")
    typed: Record = {}
    for column in columns:
        value = raw.get(column.name)
        if value is None or value == "":
            raise PayloadError(f"{where}: column {column.name!r} is missing or empty")
        try:
            if column.type == "str":
                typed[column.name] = str(value)
            elif column.type == "int":
                typed[column.name] = int(value)
            elif column.type == "float":
                typed[column.name] = float(value)
            else:
                typed[column.name] = parse_timestamp(str(value))
        except (TypeError, ValueError):
            hint = " with a UTC offset" if column.type == "timestamp" else ""
            raise PayloadError(
                f"{where}: column {column.name!r} is not a valid {column.type}{hint} "
                f"(a {_kind(value)} of {len(str(value))} characters)"
            ) from None
    return typed


def _kind(value: Any) -> str:
    """The type of a payload value, in JSON words, for messages that must not show the value."""
    names = {str: "string", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def decode_json(body: bytes, where: str) -> Any:
    try:
        return json.loads(body)
    except UnicodeDecodeError as err:
        raise PayloadError(f"{where} is not valid JSON: not UTF-8 at byte {err.start}") from None
    except json.JSONDecodeError as err:  # its message says where, not what
        raise PayloadError(
            f"{where} is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})"
        ) from None
