"""The demo notebooks' shared inputs: marimo controls that start at a shareable preset.

Every demo builds its sliders the same way (full width, value shown, initial value read from the URL through
`presets`) and offers the same shipped weather years (with their weather tables), so both live here once. Callers pass their `mo`: this
module does not import marimo, and the library stays importable without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from mplat.energy import epw, io, presets, weather_tables


class ShippedWeather(NamedTuple):
    label: str
    file: str  # in the demos' `public/` folder (`mo.notebook_location() / "public" / file`)


# Key = the `location` preset (`?location=piedmont`).
SHIPPED_WEATHER = {
    "amsterdam": ShippedWeather("Amsterdam, NL", "amsterdam.epw.gz"),
    "piedmont": ShippedWeather("Piedmont, IT", "piedmont.epw.gz"),
}
DEFAULT_WEATHER = "amsterdam"


def slider(
    mo: Any,
    params: Mapping[str, object],
    name: str,
    label: str,
    low: float,
    high: float,
    step: float,
    default: float,
) -> Any:
    """A full-width `mo.ui.slider` starting at the preset `params[name]` (clamped, snapped) or `default`."""
    value = presets.number(params, name, default, low, high, step)
    return mo.ui.slider(low, high, step=step, value=value, label=label, show_value=True, full_width=True)


def weather_dropdown(mo: Any, params: Mapping[str, object], label: str) -> Any:
    """A `mo.ui.dropdown` of the shipped weather years; its `.value` is a `SHIPPED_WEATHER` key."""
    key = presets.choice(params, "location", DEFAULT_WEATHER, list(SHIPPED_WEATHER))
    return mo.ui.dropdown(
        options={weather.label: name for name, weather in SHIPPED_WEATHER.items()},
        value=SHIPPED_WEATHER[key].label,
        label=label,
    )


def shipped_weather_location(mo: Any, key: str) -> Any:
    """Where the shipped weather year `key` is, for `io.read_bytes` (a path in CPython, a URL in the browser)."""
    return mo.notebook_location() / "public" / SHIPPED_WEATHER[key].file


def read_shipped_weather(mo: Any, key: str, *, table: bool = True) -> epw.Epw:
    """The shipped weather year `key`, read with `io.read_bytes`.

    With `table` (the default), from the weather table shipped beside the EPW file (`mplat.energy.weather_tables`):
    the weather without parsing its text, with the sun's positions and the sky's terms of the first simulation
    already computed. A weather year shipped without its table is read from its EPW file; a damaged table is an
    error that names it.
    """
    if table:
        location = mo.notebook_location() / "public" / weather_tables.table_name(SHIPPED_WEATHER[key].file)
        try:
            data = io.read_bytes(location)
        except io.DamagedGzipError:
            raise  # shipped but broken: say so rather than hide it behind the slower EPW path
        except OSError:
            data = None  # not shipped
        if data is not None:
            return weather_tables.load(data, str(location))
    return epw.read_epw(io.read_bytes(shipped_weather_location(mo, key)))
