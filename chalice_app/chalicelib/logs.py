"""Structured JSON logs: one JSON object per line on stdout (CloudWatch keeps Lambda stdout).

Secret values are registered with `RunLog.hide` as soon as they are loaded, and every line is scrubbed of them,
so a secret that leaks into an exception message or a URL still never reaches the log.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

REDACTED = "***"


@dataclass
class RunLog:
    """Logger for one run; `context` (source, run id, …) is added to every line."""

    context: dict[str, Any] = field(default_factory=dict)
    stream: TextIO | None = None  # None: sys.stdout at write time (so test capture and Lambda both work)
    _hidden: set[str] = field(default_factory=set)

    def hide(self, *values: object) -> None:
        """Never print these values (secret fields); short values are hidden too, they are still secrets."""
        self._hidden.update(str(v) for v in values if v not in (None, ""))

    def scrub(self, text: str) -> str:
        for value in sorted(self._hidden, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        return text

    def info(self, message: str, **fields: Any) -> None:
        self._write("INFO", message, fields)

    def warning(self, message: str, **fields: Any) -> None:
        self._write("WARNING", message, fields)

    def error(self, message: str, **fields: Any) -> None:
        self._write("ERROR", message, fields)

    def _write(self, level: str, message: str, fields: dict[str, Any]) -> None:
        record = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "level": level,
            "message": message,
            **self.context,
            **fields,
        }
        line = self.scrub(json.dumps(record, default=str, sort_keys=False))
        print(line, file=self.stream or sys.stdout, flush=True)
