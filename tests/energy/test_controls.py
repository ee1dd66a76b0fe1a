"""The demos' shared inputs, built with real marimo: sliders and the weather dropdown start at the URL preset."""

from __future__ import annotations

from pathlib import Path

import marimo as mo

from mplat.energy import controls, epw, io

DEMO_DATA = Path(__file__).parents[2] / "notebooks" / "demos" / "public"


def test_a_slider_starts_at_the_preset_snapped_to_its_step() -> None:
    tilt = controls.slider(mo, {"tilt": "31.4"}, "tilt", "Tilt (°)", 0, 90, 1, 35)

    assert (tilt.value, tilt.start, tilt.stop, tilt.step) == (31, 0, 90, 1)


def test_a_slider_without_a_preset_starts_at_its_default() -> None:
    assert controls.slider(mo, {}, "tilt", "Tilt (°)", 0, 90, 1, 35).value == 35


def test_the_weather_dropdown_takes_the_location_preset_in_any_case() -> None:
    assert controls.weather_dropdown(mo, {"location": "PIEDMONT"}, "Weather").value == "piedmont"
    assert (
        controls.weather_dropdown(mo, {"location": "atlantis"}, "Weather").value == controls.DEFAULT_WEATHER
    )


def test_every_shipped_weather_year_is_a_readable_epw_file() -> None:
    for weather in controls.SHIPPED_WEATHER.values():
        parsed = epw.read_epw(io.read_bytes(DEMO_DATA / weather.file))
        assert len(parsed.temp_air) == 8760, weather.file
