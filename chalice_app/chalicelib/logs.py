"""Structured JSON logs: one JSON object per line on stdout (CloudWatch keeps Lambda stdout).

Secret values are registered with `RunLog.hide` as soon as they are loaded, and every string of a line (message,
field names and values, nested ones too) is scrubbed of them *before* JSON encoding: encoding escapes `"`, `\\`
and non-ASCII characters, so a secret containing them would no longer match once encoded.
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

    def scrubbed(self, value: Any) -> Any:
        """`value` with every string in it scrubbed; anything not JSON-native becomes its (scrubbed) `str`."""
        if isinstance(value, str):
            return self.scrub(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, dict):
            return {self.scrub(str(k)): self.scrubbed(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.scrubbed(v) for v in value]
        return self.scrub(str(value))

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
        line = json.dumps(self.scrubbed(record), sort_keys=False)
        print(line, file=self.stream or sys.stdout, flush=True)
