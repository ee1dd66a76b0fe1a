"""Pure-Python energy models for the demo notebooks (standard library only; runs in CPython and Pyodide).

Modules: `epw` (weather files), `solar` (NREL SPA sun position), `pv` (PVWatts v5 performance),
`finance` (NPV, IRR, payback, LCOE), `building` (degree-days, heat loss), `io` (read sample data by path or URL),
`presets` (URL query parameters as initial notebook inputs), `controls` (the demos' preset sliders and
shipped weather years), `charts` (the demos' plotly layout in the brand's colours), `weather_tables` (the
shipped weather years with their sun and sky computed ahead of time).
See docs/energy.md for the models, references and measured accuracy.
"""

from __future__ import annotations

from mplat.energy import building, charts, controls, epw, finance, io, presets, pv, solar, weather_tables

__all__ = [
    "building",
    "charts",
    "controls",
    "epw",
    "finance",
    "io",
    "presets",
    "pv",
    "solar",
    "weather_tables",
]
