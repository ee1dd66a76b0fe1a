"""The demos' chart style, defined once: plotly layout settings for the brand (black page, gold accent).

Plain dicts (this library does not import plotly), given to the figure when it is made:
`go.Figure(traces, layout=charts.layout(title=...))`. They give the look plotly's `plotly_dark` template gave
the demos (its axis and grid colours, its dark bar outlines, on the page's black) without naming a template.
On the path to a notebook's first interaction in the browser this matters: a figure made without a template
gets plotly's default one (its JSON read, validated and merged), and `update_layout` afterwards walks the
figure's property tree for every setting; made with its layout, a chart takes a tenth of the time.
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
_DARK_OUTLINE = {"line": {"color": "rgb(17,17,17)", "width": 0.5}}  # plotly_dark's, between bars
_TEMPLATE = {
    "data": {
        "bar": [{"marker": _DARK_OUTLINE}],
        "barpolar": [{"marker": _DARK_OUTLINE}],
        "heatmap": [{"colorbar": {"outlinewidth": 0, "ticks": ""}}],
    },
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
