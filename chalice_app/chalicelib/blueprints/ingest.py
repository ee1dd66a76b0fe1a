"""One scheduled Lambda `ingest-<source>-function` per source of the stage, generated from the source registry.

Lambda finds a handler as `<module>.<Python function name>`, so each generated handler is bound to a module
attribute named `ingest_<source>` (that is what the `globals()` line is for); the Chalice function name (and so
the Lambda's, `mplat-<env>-ingest-<source>-function`) comes from `stage.ingest_function`.
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

    handler.__name__ = handler.__qualname__ = f"ingest_{source_name}"
    return handler


for _name in stage.stage_source_names(list(sources.registry())):
    _source = sources.get(_name)
    _handler = _handler_for(_name)
    globals()[_handler.__name__] = bp.schedule(
        _source.schedule, name=stage.ingest_function(_name), description=_source.description
    )(_handler)
