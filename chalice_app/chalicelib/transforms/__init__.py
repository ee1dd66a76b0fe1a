"""Transforms of raw objects, dispatched by key pattern from one S3-triggered function.

S3 rejects overlapping notification filters (and moto rejects filters altogether), so the bucket sends every
new object to `transform-raw-function`, and `dispatch` picks the transforms whose pattern matches the key.

A transform turns matching keys into *units of work* (`unit`): `count` works per (source, day), so a backfill
over a thousand objects of one day recounts that day once; `normalize` works per object.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from chalicelib.transforms import count, normalize
from chalicelib.transforms.base import Context, Transform

__all__ = ["Context", "Transform", "all_transforms", "backfill", "dispatch"]


def all_transforms() -> tuple[Transform, ...]:
    return (count.TRANSFORM, normalize.TRANSFORM)


def dispatch(ctx: Context, key: str, only: Iterable[str] | None = None) -> list[str]:
    """Run every transform matching `key`; returns the names that ran (empty: the key is not ours)."""
    ran = []
    for transform in _selected(only):
        match = transform.pattern.match(key)
        if match:
            outcome = transform.run(ctx, transform.unit(match))
            ctx.log.info("transform done", transform=transform.name, key=key, **outcome)
            ran.append(transform.name)
    if not ran:
        ctx.log.info("no transform matches key, ignored", key=key)
    return ran


def backfill(
    ctx: Context, keys: Iterable[str], only: Iterable[str] | None = None, workers: int = 8
) -> dict[str, int]:
    """Run the transforms over existing keys, each unit of work once; returns units done per transform."""
    keys = list(keys)
    done: dict[str, int] = {}
    for transform in _selected(only):
        units = list(dict.fromkeys(transform.unit(m) for m in map(transform.pattern.match, keys) if m))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda unit, t=transform: t.run(ctx, unit), units))
        done[transform.name] = len(units)
        ctx.log.info("backfill done", transform=transform.name, units=len(units))
    return done


def _selected(only: Iterable[str] | None) -> list[Transform]:
    transforms = all_transforms()
    if only is None:
        return list(transforms)
    wanted = set(only)
    unknown = wanted - {t.name for t in transforms}
    if unknown:
        raise ValueError(f"unknown transform(s) {sorted(unknown)}; known: {[t.name for t in transforms]}")
    return [t for t in transforms if t.name in wanted]
