"""Pipeline status from the derived bucket: per source, the latest ingest, counts and recent failures.

Reads what the ingestion Lambdas write (backend contract):
`counts/<source>/<YYYY-MM-DD>.json` = {"source", "date", "objects", "records", "bytes", "updated_at"} and
`failures/<source>/<timestamp>.json` = {"source", "error", "attempts", ...}.
A file that does not parse is reported as a problem naming its key; the rest of the page still renders.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from mplat.server.storage import list_objects, read_object

COUNTS_PREFIX = "counts/"
FAILURES_PREFIX = "failures/"


@dataclass(frozen=True)
class DayCount:
    date: str
    objects: int
    records: int
    bytes: int
    updated_at: str


@dataclass(frozen=True)
class Failure:
    key: str
    error: str
    attempts: int | None


@dataclass(frozen=True)
class SourceStatus:
    source: str
    days: tuple[DayCount, ...]  # sorted by date
    failures: tuple[Failure, ...]  # newest first
    failure_count: int

    @property
    def latest(self) -> DayCount | None:
        return self.days[-1] if self.days else None

    @property
    def objects(self) -> int:
        return sum(day.objects for day in self.days)

    @property
    def records(self) -> int:
        return sum(day.records for day in self.days)

    @property
    def bytes(self) -> int:
        return sum(day.bytes for day in self.days)


@dataclass(frozen=True)
class PipelineStatus:
    sources: tuple[SourceStatus, ...]
    problems: tuple[str, ...] = field(default=())


def _source_of(key: str, prefix: str) -> str | None:
    parts = key[len(prefix) :].split("/")
    return parts[0] if len(parts) == 2 and parts[0] and parts[1].endswith(".json") else None


def _read_json(client: Any, bucket: str, key: str, problems: list[str]) -> dict[str, Any] | None:
    try:
        document = json.loads(read_object(client, bucket, key))
    except (ValueError, UnicodeDecodeError) as error:
        problems.append(f"{key}: not valid JSON ({error})")
        return None
    if not isinstance(document, dict):
        problems.append(f"{key}: expected a JSON object")
        return None
    return document


def _day_count(document: dict[str, Any], key: str, problems: list[str]) -> DayCount | None:
    try:
        return DayCount(
            date=str(document["date"]),
            objects=int(document["objects"]),
            records=int(document["records"]),
            bytes=int(document.get("bytes", 0)),
            updated_at=str(document.get("updated_at", "")),
        )
    except (KeyError, TypeError, ValueError) as error:
        problems.append(f"{key}: missing or non-numeric field {error}")
        return None


def read_pipeline_status(client: Any, derived_bucket: str, recent_failures: int = 5) -> PipelineStatus:
    """Every source that has counts or failures in the derived bucket, sorted by name."""
    problems: list[str] = []
    days: dict[str, list[DayCount]] = {}
    for info in list_objects(client, derived_bucket, COUNTS_PREFIX):
        source = _source_of(info.key, COUNTS_PREFIX)
        if source is None:
            continue
        document = _read_json(client, derived_bucket, info.key, problems)
        day = _day_count(document, info.key, problems) if document is not None else None
        days.setdefault(source, [])
        if day is not None:
            days[source].append(day)

    failure_keys: dict[str, list[str]] = {}
    for info in list_objects(client, derived_bucket, FAILURES_PREFIX):
        source = _source_of(info.key, FAILURES_PREFIX)
        if source is not None:
            failure_keys.setdefault(source, []).append(info.key)

    sources = []
    for source in sorted(days.keys() | failure_keys.keys()):
        keys = sorted(failure_keys.get(source, []), reverse=True)  # timestamps sort lexically
        failures = []
        for key in keys[:recent_failures]:
            document = _read_json(client, derived_bucket, key, problems)
            if document is not None:
                attempts = document.get("attempts")
                failures.append(
                    Failure(
                        key, str(document.get("error", "")), int(attempts) if attempts is not None else None
                    )
                )
        sources.append(
            SourceStatus(
                source=source,
                days=tuple(sorted(days.get(source, []), key=lambda day: day.date)),
                failures=tuple(failures),
                failure_count=len(keys),
            )
        )
    return PipelineStatus(sources=tuple(sources), problems=tuple(problems))


def summary_table_html(status: PipelineStatus) -> str:
    """One row per source; `data-source` / `data-field` attributes let tests and scrapers read exact values."""
    header = (
        "<tr><th>source</th><th>latest ingest</th><th>updated at</th><th>objects</th><th>records</th>"
        "<th>bytes</th><th>days</th><th>failures</th></tr>"
    )
    rows = []
    for source in status.sources:
        latest = source.latest
        cells = {
            "source": source.source,
            "latest_date": latest.date if latest else "never",
            "updated_at": latest.updated_at if latest else "",
            "objects": source.objects,
            "records": source.records,
            "bytes": source.bytes,
            "days": len(source.days),
            "failures": source.failure_count,
        }
        row = "".join(
            f'<td data-field="{name}">{html.escape(str(value))}</td>' for name, value in cells.items()
        )
        rows.append(f'<tr data-source="{html.escape(source.source)}">{row}</tr>')
    return f'<table class="pipeline-status">{header}{"".join(rows)}</table>'


def failures_table_html(status: PipelineStatus) -> str:
    rows = [
        f'<tr data-source="{html.escape(source.source)}"><td>{html.escape(source.source)}</td>'
        f"<td>{html.escape(failure.key.rsplit('/', 1)[-1].removesuffix('.json'))}</td>"
        f"<td>{html.escape(failure.error)}</td><td>{failure.attempts if failure.attempts is not None else ''}</td></tr>"
        for source in status.sources
        for failure in source.failures
    ]
    header = "<tr><th>source</th><th>when</th><th>error</th><th>attempts</th></tr>"
    return f'<table class="pipeline-failures">{header}{"".join(rows)}</table>'
