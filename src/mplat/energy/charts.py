"""The demos' chart style, defined once: plotly layout settings for the brand (black page, gold accent).

Plain dicts (this library does not import plotly), used as `figure.update_layout(**charts.layout(title=...))`.
They give the look plotly's `plotly_dark` template gave the demos (its axis and grid colours, on the page's
black) without naming that template: a named template is read from plotly's JSON, validated and deep-copied
into the figure, ~0.1 s of a notebook's first run in the browser, on the path to its first interaction.
"""

from __future__ import annotations

import copy
from typing import Any

GOLD = "#D4A843"  # the brand's accent (mplat.gallery.brand.GOLD)
DARK_GOLD = "#8a6d2b"  # negative values beside gold ones
GREY = "#8a8a8a"  # a comparison series beside gold
TEXT = "#f5f5f5"
_GRID = "#283442"  # plotly_dark's grid and zero lines
_AXIS_LINE = "#506784"

_AXIS = {
    "gridcolor": _GRID,
    "linecolor": _AXIS_LINE,
    "zerolinecolor": _GRID,
    "zerolinewidth": 2,
    "ticks": "",
    "automargin": True,
    "title": {"standoff": 15},
}
_POLAR_AXIS = {"gridcolor": _AXIS_LINE, "linecolor": _AXIS_LINE, "ticks": ""}
# Axis settings go in an inline template (not the layout itself) so a chart's own `xaxis_title=…` or
# `yaxis=dict(…)` adds to them instead of replacing them.
_TEMPLATE = {
    "layout": {
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "colorway": [GOLD, TEXT, GREY, DARK_GOLD],
        "hoverlabel": {"align": "left"},
        "hovermode": "closest",
        "title": {"x": 0.05},
        "polar": {"angularaxis": _POLAR_AXIS, "radialaxis": _POLAR_AXIS, "bgcolor": "rgba(0,0,0,0)"},
    },
}
_BASE = {
    "paper_bgcolor": "rgba(0,0,0,0)",  # the page's black shows through
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"color": TEXT},
    "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
    "height": 360,
}


def layout(**settings: Any) -> dict[str, Any]:
    """The brand layout with `settings` on top (a nested dict, e.g. `margin`, is merged key by key)."""
    merged: dict[str, Any] = copy.deepcopy({"template": _TEMPLATE, **_BASE})  # callers may change theirs
    for key, value in settings.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged
