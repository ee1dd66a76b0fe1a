"""Shareable notebook presets: read initial inputs from URL query parameters, write them back as a link.

A sales engineer sends `solar-calculator?system_kw=8&tilt=30`; the notebook passes `mo.query_params()` here
and gets safe slider values: numbers are clamped to the slider's range and snapped to its step; anything
unparsable falls back to the default, so a mistyped link still opens.
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Mapping, Sequence


def _first(params: Mapping[str, object], name: str) -> str | None:
    value = params.get(name)
    if isinstance(value, list | tuple):  # repeated parameter: the first one wins
        value = value[0] if value else None
    return None if value is None else str(value)


def number(
    params: Mapping[str, object],
    name: str,
    default: float,
    low: float,
    high: float,
    step: float | None = None,
) -> float:
    """`params[name]` as a number in [low, high] on the slider's step grid, or `default`."""
    text = _first(params, name)
    try:
        value = float(text) if text is not None else default
    except ValueError:
        value = default
    if not math.isfinite(value):
        value = default
    value = min(max(value, low), high)
    if step:
        value = low + round((value - low) / step) * step
        value = min(max(round(value, 10), low), high)
    return value


def choice(params: Mapping[str, object], name: str, default: str, options: Sequence[str]) -> str:
    """`params[name]` if it is one of `options` (case-insensitive), else `default`."""
    text = _first(params, name)
    if text is not None:
        for option in options:
            if option.lower() == text.strip().lower():
                return option
    return default


def query_string(values: Mapping[str, object]) -> str:
    """`?a=1&b=2` for the current inputs (floats without trailing zeros), to build a preset link."""

    def show(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.6g}"
        return str(value)

    return "?" + urllib.parse.urlencode({k: show(v) for k, v in values.items()})
