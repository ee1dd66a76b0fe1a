"""`gallery.json`'s contract with the portfolio: the JSON Schema kept beside this module, and its check."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import GalleryError

SCHEMA_FILE = Path(__file__).with_name("gallery.schema.json")


def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def problems(index: object) -> list[str]:
    """Every way `index` breaks the schema, each as `<where>: <what>` (empty when it is valid)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    found = sorted(validator.iter_errors(index), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}" for e in found]


def check_file(path: Path) -> None:
    """Raise a GalleryError naming the file and each field that breaks the schema."""
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GalleryError(f"{path}: not readable JSON ({exc}); rebuild the site") from exc
    found = problems(index)
    if found:
        raise GalleryError(
            f"{path} does not match {SCHEMA_FILE.name}:\n  "
            + "\n  ".join(found[:20])
            + "\nRebuild the site with this project's version (`make site`)."
        )
