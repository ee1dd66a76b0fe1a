"""Sun position against pvlib's NREL SPA implementation, every hour of a year at three sites."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pvlib
import pytest

from mplat.energy import solar

SITES = {
    # name: (latitude, longitude, elevation m, IANA zone) — north mid-latitude, southern hemisphere (with DST),
    # above the Arctic circle (midnight sun and polar night).
    "amsterdam": (52.30, 4.77, -2.0, "Europe/Amsterdam"),
    "sydney": (-33.87, 151.21, 40.0, "Australia/Sydney"),
    "tromso": (69.65, 18.96, 10.0, "Europe/Oslo"),
}


@pytest.mark.parametrize("site", sorted(SITES))
def test_every_hour_of_a_year_within_0_01_degree_of_spa_python(site: str) -> None:
    latitude, longitude, elevation, zone = SITES[site]
    index = pd.date_range("2024-01-01 00:30", periods=8784, freq="h", tz=zone)
    reference = pvlib.solarposition.spa_python(index, latitude, longitude, altitude=elevation)
    ours = solar.solar_positions(list(index.to_pydatetime()), latitude, longitude, elevation)
    zenith = np.array([p.zenith for p in ours])
    elevation_ = np.array([p.elevation for p in ours])
    azimuth = np.array([p.azimuth for p in ours])
    assert np.abs(zenith - reference["apparent_zenith"].to_numpy()).max() < 0.01
    assert np.abs(elevation_ - reference["apparent_elevation"].to_numpy()).max() < 0.01
    azimuth_error = (azimuth - reference["azimuth"].to_numpy() + 180.0) % 360.0 - 180.0
    assert np.abs(azimuth_error).max() < 0.01
    true_zenith = np.array([p.true_zenith for p in ours])
    assert np.abs(true_zenith - reference["zenith"].to_numpy()).max() < 0.01


def test_single_instant_matches_series_and_pvlib() -> None:
    when = dt.datetime(2003, 10, 17, 12, 30, 30, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    # The SPA report's worked example (Golden, CO): zenith 50.11162, azimuth 194.34024 with its own
    # pressure (820 mbar), temperature (11 °C) and delta_t (67 s).
    example = solar.solar_position(when, 39.742476, -105.1786, 1830.14, pressure=82000, temperature=11)
    assert example.zenith == pytest.approx(50.11162, abs=1e-5)
    assert example.azimuth == pytest.approx(194.34024, abs=1e-5)
    assert example.elevation == pytest.approx(90 - 50.11162, abs=1e-5)


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        solar.solar_position(dt.datetime(2020, 6, 1, 12), 52.0, 5.0)


def test_extraterrestrial_and_airmass_match_pvlib() -> None:
    days = range(1, 366)
    reference = pvlib.irradiance.get_extra_radiation(np.array(list(days)))
    assert [solar.extraterrestrial_dni(d) for d in days] == pytest.approx(list(reference), rel=1e-12)
    zeniths = np.linspace(0, 89.9, 500)
    reference_am = pvlib.atmosphere.get_relative_airmass(zeniths, model="kastenyoung1989")
    assert [solar.relative_airmass(z) for z in zeniths] == pytest.approx(list(reference_am), rel=1e-12)
    assert solar.relative_airmass(90.5) is None
