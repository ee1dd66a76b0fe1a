"""Pure-Python energy models for the demo notebooks (standard library only; runs in CPython and Pyodide).

Modules: `epw` (weather files), `solar` (NREL SPA sun position), `pv` (PVWatts v5 performance),
`finance` (NPV, IRR, payback, LCOE), `building` (degree-days, heat loss), `io` (read sample data by path or URL),
`presets` (URL query parameters as initial notebook inputs), `controls` (the demos' preset sliders and
shipped weather years), `sun_tables` (sun positions computed ahead of time for the shipped weather years).
See docs/energy.md for the models, references and measured accuracy.
"""

from __future__ import annotations

from mplat.energy import building, controls, epw, finance, io, presets, pv, solar, sun_tables

__all__ = ["building", "controls", "epw", "finance", "io", "presets", "pv", "solar", "sun_tables"]
