"""Degree-days and heat-loss demand against an independent pandas computation."""

from __future__ import annotations

import pandas as pd
import pvlib
import pytest

from mplat.energy import building, epw


@pytest.fixture(scope="module")
def hourly(weather_dir) -> pd.Series:
    data, _ = pvlib.iotools.read_epw(weather_dir / "NLD_Amsterdam062400_IWEC.epw")
    return data["temp_air"]


def test_degree_days_match_daily_means(amsterdam: epw.Epw, hourly: pd.Series) -> None:
    # pvlib's index is hour-beginning, so its calendar day is the day each hour starts in, as ours.
    daily = hourly.groupby([hourly.index.month, hourly.index.day]).mean()
    for heating_base, cooling_base in ((15.5, 18.3), (18.0, 22.0)):
        dd = building.degree_days(amsterdam, heating_base, cooling_base)
        assert dd.heating == pytest.approx((heating_base - daily).clip(lower=0).sum(), rel=1e-12)
        assert dd.cooling == pytest.approx((daily - cooling_base).clip(lower=0).sum(), rel=1e-12)
        monthly = (heating_base - daily).clip(lower=0).groupby(level=0).sum()
        assert list(dd.monthly_heating) == pytest.approx(monthly.tolist(), rel=1e-12)
    assert building.degree_days(amsterdam).heating == pytest.approx(
        2168.1, abs=0.1
    )  # Amsterdam, base 15.5 °C


def test_heating_demand_is_the_hourly_balance(amsterdam: epw.Epw, hourly: pd.Series) -> None:
    house = building.Building(
        elements=(
            building.Element("walls", 120, 0.35),
            building.Element("roof", 60, 0.25),
            building.Element("floor", 60, 0.4),
            building.Element("windows", 25, 1.4),
        ),
        volume=360,
        air_changes=0.6,
        heat_recovery=0.0,
        internal_gains=450,
        setpoint=20,
    )
    h = 120 * 0.35 + 60 * 0.25 + 60 * 0.4 + 25 * 1.4 + 0.34 * 0.6 * 360
    assert house.heat_loss_coefficient == pytest.approx(h)
    load = (h * (20 - hourly) - 450).clip(lower=0)
    demand = building.heating_demand(house, amsterdam)
    assert demand.annual_kwh == pytest.approx(load.sum() / 1000, rel=1e-12)
    assert demand.peak_kw == pytest.approx(load.max() / 1000)
    assert demand.heating_hours == int((load > 0).sum())
    assert sum(demand.monthly_kwh) == pytest.approx(demand.annual_kwh)
    assert house.balance_temperature == pytest.approx(20 - 450 / h)

    better = building.Building(
        elements=house.elements, volume=360, air_changes=0.6, heat_recovery=0.8, internal_gains=450
    )
    assert building.heating_demand(better, amsterdam).annual_kwh < demand.annual_kwh


def test_heating_system_costs() -> None:
    boiler = building.HeatingSystem(efficiency=0.9, price=0.12, co2_kg_per_kwh=0.2)
    assert boiler.delivered_kwh(9000) == pytest.approx(10_000)
    assert boiler.cost(9000) == pytest.approx(1200)
    assert boiler.co2_kg(9000) == pytest.approx(2000)


def test_invalid_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="'wall'"):
        building.Element("wall", -1, 0.3)
    with pytest.raises(ValueError, match="volume must be > 0"):
        building.Building(elements=(), volume=0)
