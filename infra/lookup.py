"""Per-run memory of ids that never change once a resource exists (VPC, subnet and group ids, ARNs).

A plan reads the same ids dozens of times (every attribute of every resource that refers to the VPC or a
security group); asking AWS once per run keeps plan fast. Only found ids are remembered, so a resource
created later in the same apply is looked up again; code that replaces a resource calls `forget`.
Attribute values (rules, tags, settings) are never cached: drift must always be read fresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from infra.aws import Aws

# One dict per run: keyed by the run's Aws object, gone with it.
_RUNS: WeakKeyDictionary[Aws, dict[tuple[Any, ...], Any]] = WeakKeyDictionary()


def remember[T](aws: Aws, key: tuple[Any, ...], fetch: Callable[[], T | None]) -> T | None:
    known = _RUNS.setdefault(aws, {})
    if key in known:
        return known[key]  # type: ignore[no-any-return]
    found = fetch()
    if found is not None:
        known[key] = found
    return found


def forget(aws: Aws, key: tuple[Any, ...]) -> None:
    _RUNS.get(aws, {}).pop(key, None)
