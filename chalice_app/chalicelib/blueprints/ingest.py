"""One scheduled Lambda `ingest_<source>` per source of the stage, generated from the source registry.

Lambda finds a handler as `<module>.<function name>`, so each generated handler is bound to a module attribute
named `ingest_<source>` (that is what the `globals()` line is for).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from chalice import Blueprint

from chalicelib import sources, stage
from chalicelib.ingest import run_ingest
from chalicelib.settings import Settings

bp = Blueprint(__name__)


def _handler_for(source_name: str) -> Callable[[Any], dict[str, Any]]:
    def handler(event: Any) -> dict[str, Any]:
        return dataclasses.asdict(run_ingest(source_name, Settings.from_environ()))

    handler.__name__ = handler.__qualname__ = f"{stage.INGEST_PREFIX}{source_name}"
    return handler


for _name in stage.stage_source_names(list(sources.registry())):
    _source = sources.get(_name)
    _function = f"{stage.INGEST_PREFIX}{_name}"
    globals()[_function] = bp.schedule(_source.schedule, name=_function, description=_source.description)(
        _handler_for(_name)
    )
