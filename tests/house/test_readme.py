"""The README's "Where things are" table names paths that exist: a newcomer's map matches the tree."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _table_paths() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [path for row in rows for path in re.findall(r"`([^`]+)`", row.split("|")[1])]


def test_every_path_in_the_where_things_are_table_exists() -> None:
    paths = _table_paths()
    assert len(paths) > 15, "the table was not found"
    missing = [p for p in paths if not (REPO / p).exists()]
    assert missing == [], f"README.md names paths that are not in the tree: {missing}"
