"""The source registry: every module in this package that defines `SOURCE` is a source.

Adding a source is adding a module (see docs/ingestion.md); nothing else lists sources in code.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from chalicelib.errors import ConfigError
from chalicelib.sources.base import Source

_NOT_SOURCES = {"base"}


@functools.cache
def registry() -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name in _NOT_SOURCES or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        source = getattr(module, "SOURCE", None)
        if not isinstance(source, Source):
            raise ConfigError(f"chalicelib/sources/{module_info.name}.py defines no `SOURCE = Source(...)`")
        if source.name != module_info.name:
            raise ConfigError(
                f"chalicelib/sources/{module_info.name}.py: SOURCE.name is {source.name!r}; "
                "it must equal the module name"
            )
        sources[source.name] = source
    return sources


def get(name: str) -> Source:
    sources = registry()
    if name not in sources:
        known = ", ".join(sorted(sources)) or "none"
        raise ConfigError(f"unknown source {name!r} (known: {known}); add chalicelib/sources/{name}.py")
    return sources[name]
