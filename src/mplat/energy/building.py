"""Building heating and cooling: degree-days and a steady-state heat-loss model.

Degree-days use the daily-mean method (EN ISO 15927-6 / ASHRAE): for each day, HDD = max(0, base - mean)
and CDD = max(0, mean - base), with the mean of that day's 24 hourly temperatures.

Heating demand is an hourly steady-state balance (the quasi-steady method of EN ISO 13790 without solar gains
or thermal mass): each hour needs H · (setpoint - outdoor) - internal gains watts of heat when positive, where
H = Σ U·A (transmission) + ρc · n · V · (1 - heat recovery) (ventilation and infiltration), ρc = 0.34 Wh/(m³K).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

AIR_HEAT_CAPACITY = 0.34  # Wh/(m³·K): volumetric heat capacity of air, ρ·c_p
_HALF_HOUR = dt.timedelta(minutes=-30)


class HourlyTemperatures(Protocol):
    """An `Epw` or anything with hour-ending `times` and `temp_air` (°C, None where missing)."""

    times: Sequence[dt.datetime]
    temp_air: Sequence[float | None]


@dataclass(frozen=True)
class DegreeDays:
    heating_base: float
    cooling_base: float
    heating: float  # K·day per year
    cooling: float
    monthly_heating: tuple[float, ...]  # 12 values, January first
    monthly_cooling: tuple[float, ...]


def daily_mean_temperatures(weather: HourlyTemperatures) -> list[tuple[dt.date, float]]:
    """(date, mean °C) for each day, each hour assigned to the day in which it starts; missing hours skipped."""
    sums: dict[dt.date, list[float]] = {}
    for when, value in zip(weather.times, weather.temp_air, strict=True):
        if value is None:
            continue
        day = (when + _HALF_HOUR).date()
        sums.setdefault(day, []).append(value)
    return [(day, math.fsum(values) / len(values)) for day, values in sums.items()]


def degree_days(
    weather: HourlyTemperatures, heating_base: float = 15.5, cooling_base: float = 18.3
) -> DegreeDays:
    """Annual and monthly heating/cooling degree-days (K·day) for the given base temperatures (°C)."""
    monthly_heating = [0.0] * 12
    monthly_cooling = [0.0] * 12
    for day, mean in daily_mean_temperatures(weather):
        monthly_heating[day.month - 1] += max(0.0, heating_base - mean)
        monthly_cooling[day.month - 1] += max(0.0, mean - cooling_base)
    return DegreeDays(
        heating_base=heating_base,
        cooling_base=cooling_base,
        heating=math.fsum(monthly_heating),
        cooling=math.fsum(monthly_cooling),
        monthly_heating=tuple(monthly_heating),
        monthly_cooling=tuple(monthly_cooling),
    )


@dataclass(frozen=True)
class Element:
    """One part of the thermal envelope: wall, roof, floor, windows…"""

    name: str
    area: float  # m²
    u_value: float  # W/(m²·K)

    def __post_init__(self) -> None:
        if self.area < 0 or self.u_value < 0:
            raise ValueError(f"envelope element {self.name!r}: area and U-value must be >= 0")


@dataclass(frozen=True)
class Building:
    elements: tuple[Element, ...]
    volume: float  # heated air volume, m³
    air_changes: float = 0.5  # infiltration + ventilation, per hour
    heat_recovery: float = 0.0  # fraction of ventilation heat recovered (0 = none)
    internal_gains: float = 0.0  # W, average (people, appliances, lighting)
    setpoint: float = 20.0  # °C

    def __post_init__(self) -> None:
        if (
            self.volume <= 0
            or self.air_changes < 0
            or not 0 <= self.heat_recovery < 1
            or self.internal_gains < 0
        ):
            raise ValueError(
                "Building: volume must be > 0, air_changes >= 0, heat_recovery in [0, 1), internal_gains >= 0"
            )

    @property
    def transmission_coefficient(self) -> float:
        """H_tr = Σ U·A, W/K."""
        return math.fsum(e.area * e.u_value for e in self.elements)

    @property
    def ventilation_coefficient(self) -> float:
        """H_ve = ρc · n · V · (1 - recovery), W/K."""
        return AIR_HEAT_CAPACITY * self.air_changes * self.volume * (1.0 - self.heat_recovery)

    @property
    def heat_loss_coefficient(self) -> float:
        return self.transmission_coefficient + self.ventilation_coefficient

    @property
    def balance_temperature(self) -> float:
        """Outdoor temperature below which heating is needed (°C): setpoint - gains / H."""
        return self.setpoint - self.internal_gains / self.heat_loss_coefficient


@dataclass(frozen=True)
class HeatingDemand:
    annual_kwh: float
    monthly_kwh: tuple[float, ...]  # 12 values
    peak_kw: float  # largest hourly load
    heating_hours: int


def heating_demand(building: Building, weather: HourlyTemperatures) -> HeatingDemand:
    """Useful heat the building needs over the weather's year (missing hours count as no demand)."""
    h = building.heat_loss_coefficient
    monthly = [0.0] * 12
    peak = 0.0
    hours = 0
    for when, t_out in zip(weather.times, weather.temp_air, strict=True):
        if t_out is None:
            continue
        load = h * (building.setpoint - t_out) - building.internal_gains  # W, over one hour = Wh
        if load > 0.0:
            monthly[(when + _HALF_HOUR).month - 1] += load / 1000.0
            peak = max(peak, load / 1000.0)
            hours += 1
    return HeatingDemand(
        annual_kwh=math.fsum(monthly), monthly_kwh=tuple(monthly), peak_kw=peak, heating_hours=hours
    )


@dataclass(frozen=True)
class HeatingSystem:
    """Turns useful heat into purchased energy, cost and emissions."""

    efficiency: float = 0.9  # seasonal efficiency (a heat pump's SCOP, e.g. 3.5, also works)
    price: float = 0.12  # currency per kWh of delivered fuel or electricity
    co2_kg_per_kwh: float = 0.2  # emission factor of the delivered energy (natural gas ≈ 0.2)

    def delivered_kwh(self, useful_kwh: float) -> float:
        return useful_kwh / self.efficiency

    def cost(self, useful_kwh: float) -> float:
        return self.delivered_kwh(useful_kwh) * self.price

    def co2_kg(self, useful_kwh: float) -> float:
        return self.delivered_kwh(useful_kwh) * self.co2_kg_per_kwh
