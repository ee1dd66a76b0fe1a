"""PVWatts v5 chain: each model against pvlib, and the whole simulation against NREL's PVWatts output."""

from __future__ import annotations

import math
import types

import numpy as np
import pandas as pd
import pvlib
import pytest

from mplat.energy import pv

from .conftest import PVWattsReference

PVWATTS_ANNUAL_KWH = 6023.671  # sum of the file's AC column (its "Totals" row)


@pytest.fixture(scope="module")
def pvwatts_run(pvwatts: PVWattsReference) -> pv.Simulation:
    system = pv.PVSystem(
        dc_kw=4.0, tilt=20, azimuth=180, losses=0.1408, inverter_efficiency=0.96, dc_ac_ratio=1.2
    )
    return pv.simulate(pvwatts, system)


def test_annual_ac_within_1_percent_of_pvwatts(pvwatts: PVWattsReference, pvwatts_run: pv.Simulation) -> None:
    assert math.fsum(pvwatts.ac_w) / 1000 == pytest.approx(PVWATTS_ANNUAL_KWH, abs=0.01)
    # Measured: 6,023.1 kWh (-0.01 %); the issue's bar is 1 %, NOTES §7's pvlib recipe reaches -0.1 %.
    assert pvwatts_run.annual_ac_kwh == pytest.approx(PVWATTS_ANNUAL_KWH, rel=0.002)


def test_every_month_within_2_percent_of_pvwatts(
    pvwatts: PVWattsReference, pvwatts_run: pv.Simulation
) -> None:
    reference = [0.0] * 12
    for month, watts in zip(pvwatts.months, pvwatts.ac_w, strict=True):
        reference[month - 1] += watts / 1000
    for month, (ours, theirs) in enumerate(zip(pvwatts_run.monthly_ac_kwh, reference, strict=True), start=1):
        assert ours == pytest.approx(theirs, rel=0.005), f"month {month}"  # measured: all within 0.2 %


def test_plane_of_array_irradiance_tracks_pvwatts(
    pvwatts: PVWattsReference, pvwatts_run: pv.Simulation
) -> None:
    assert math.fsum(pvwatts_run.poa_global) == pytest.approx(math.fsum(pvwatts.poa), rel=0.001)
    hourly_error = np.abs(np.array(pvwatts_run.poa_global) - np.array(pvwatts.poa))
    assert np.percentile(hourly_error, 99) < 5.0  # W/m²


def _random_sky(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    zenith = rng.uniform(0, 89.5, n)
    return pd.DataFrame(
        {
            "zenith": zenith,
            "azimuth": rng.uniform(0, 360, n),
            "dni": rng.uniform(0, 1000, n),
            "dhi": rng.uniform(1, 500, n),
            "dni_extra": rng.uniform(1320, 1415, n),
            "airmass": pvlib.atmosphere.get_relative_airmass(zenith),
            "tilt": rng.uniform(0, 90, n),
            "surface_azimuth": rng.uniform(0, 360, n),
        }
    )


def test_perez_matches_pvlib() -> None:
    sky = _random_sky(3000, seed=1)
    reference = pvlib.irradiance.perez(
        sky.tilt, sky.surface_azimuth, sky.dhi, sky.dni, sky.dni_extra, sky.zenith, sky.azimuth, sky.airmass
    )
    ours = [
        pv.perez(r.tilt, r.surface_azimuth, r.dhi, r.dni, r.dni_extra, r.zenith, r.azimuth, r.airmass)
        for r in sky.itertuples()
    ]
    assert ours == pytest.approx(reference.tolist(), rel=1e-9, abs=1e-9)


def test_plane_of_array_helpers_match_pvlib() -> None:
    sky = _random_sky(500, seed=2)
    ref_aoi = pvlib.irradiance.aoi(sky.tilt, sky.surface_azimuth, sky.zenith, sky.azimuth)
    ours = [pv.aoi(r.tilt, r.surface_azimuth, r.zenith, r.azimuth) for r in sky.itertuples()]
    assert ours == pytest.approx(ref_aoi.tolist(), abs=1e-7)
    ghi = sky.dni * np.cos(np.radians(sky.zenith)) + sky.dhi
    ref_ground = pvlib.irradiance.get_ground_diffuse(sky.tilt, ghi, albedo=0.2)
    assert [pv.get_ground_diffuse(t, g, 0.2) for t, g in zip(sky.tilt, ghi, strict=True)] == pytest.approx(
        ref_ground.tolist(), rel=1e-12
    )


def test_incidence_angle_modifier_matches_pvlib_physical() -> None:
    angles = np.linspace(0, 89.9, 900)
    reference = pvlib.iam.physical(angles, n=1.526, K=4.0, L=0.002)
    assert [pv.iam_physical(a) for a in angles] == pytest.approx(list(reference), abs=1e-9)
    assert pv.iam_physical(90.0) == 0.0


def test_fuentes_matches_pvlib(pvwatts: PVWattsReference) -> None:
    hours = slice(4000, 5000)  # June-July: hot, windy and calm hours
    index = pd.date_range("2019-06-17", periods=1000, freq="h")
    poa = pd.Series(pvwatts.poa[hours], index=index)
    temp = pd.Series(pvwatts.temp_air[hours], index=index)
    wind = pd.Series(pvwatts.wind_speed[hours], index=index)
    for noct in (45.0, 49.0):  # open rack, roof mount
        reference = pvlib.temperature.fuentes(poa, temp, wind, noct_installed=noct)
        ours = pv.fuentes(poa.tolist(), temp.tolist(), wind.tolist(), noct)
        assert ours == pytest.approx(reference.tolist(), abs=1e-3)


def test_dc_and_inverter_match_pvlib() -> None:
    rng = np.random.default_rng(3)
    irradiance = rng.uniform(0, 1200, 500)
    cell = rng.uniform(-20, 70, 500)
    reference_dc = pvlib.pvsystem.pvwatts_dc(irradiance, cell, 5000, -0.0047)
    ours_dc = [pv.pvwatts_dc(g, t, 5000, -0.0047) for g, t in zip(irradiance, cell, strict=True)]
    assert ours_dc == pytest.approx(list(reference_dc), rel=1e-12)
    pdc = np.concatenate([[0.0, 1.0, 10.0], rng.uniform(0, 6000, 500)])
    reference_ac = pvlib.inverter.pvwatts(pdc, 5000 / 1.2 / 0.96, eta_inv_nom=0.96)
    ours_ac = [pv.pvwatts_inverter(p, 5000 / 1.2 / 0.96, 0.96) for p in pdc]
    assert ours_ac == pytest.approx(list(reference_ac), rel=1e-12, abs=1e-12)


def test_cached_simulation_equals_uncached_and_scales_with_size(amsterdam) -> None:
    small = pv.simulate(amsterdam, pv.PVSystem(dc_kw=5, tilt=35, azimuth=180))
    again = pv.simulate(amsterdam, pv.PVSystem(dc_kw=5, tilt=35, azimuth=180))
    assert again.ac_kwh == small.ac_kwh
    # The same weather as an unhashable object: simulate() cannot cache it and computes from scratch.
    fields = ("location", "times", "ghi", "dni", "dhi", "temp_air", "wind_speed")
    unhashable = types.SimpleNamespace(**{f: getattr(amsterdam, f) for f in fields})
    assert pv.simulate(unhashable, pv.PVSystem(dc_kw=5, tilt=35, azimuth=180)).ac_kwh == small.ac_kwh
    double = pv.simulate(amsterdam, pv.PVSystem(dc_kw=10, tilt=35, azimuth=180))
    assert double.annual_ac_kwh == pytest.approx(2 * small.annual_ac_kwh, rel=1e-9)
    assert 850 < small.specific_yield < 1100  # kWh/kWp, typical for the Netherlands
    roof = pv.simulate(amsterdam, pv.PVSystem(dc_kw=5, tilt=35, azimuth=180, mounting="roof"))
    assert roof.annual_ac_kwh < small.annual_ac_kwh  # hotter cells
    north = pv.simulate(amsterdam, pv.PVSystem(dc_kw=5, tilt=35, azimuth=0))
    assert north.annual_ac_kwh < 0.75 * small.annual_ac_kwh


@pytest.mark.parametrize(
    ("field", "value"),
    [("dc_kw", 0), ("tilt", 95), ("azimuth", -1), ("losses", 1.0), ("mounting", "pole"), ("gamma", 0.01)],
)
def test_invalid_system_names_the_field(field: str, value: object) -> None:
    arguments = {"dc_kw": 4.0, "tilt": 20.0, "azimuth": 180.0, field: value}
    with pytest.raises(ValueError, match=f"PVSystem.{field} = "):
        pv.PVSystem(**arguments)  # type: ignore[arg-type]


def test_missing_weather_values_are_filled(amsterdam) -> None:
    import dataclasses

    temp = list(amsterdam.temp_air)
    dni = list(amsterdam.dni)
    temp[4000], dni[4000] = None, None  # a June noon hour
    gappy = dataclasses.replace(amsterdam, temp_air=tuple(temp), dni=tuple(dni))
    system = pv.PVSystem(dc_kw=5, tilt=35, azimuth=180)
    result = pv.simulate(gappy, system)
    full = pv.simulate(amsterdam, system)
    assert result.cell_temperature[3999] == full.cell_temperature[3999]
    assert result.annual_ac_kwh < full.annual_ac_kwh  # the gap's beam counts as 0
    assert result.annual_ac_kwh > 0.99 * full.annual_ac_kwh
