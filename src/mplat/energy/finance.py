"""Project finance for energy investments: NPV, IRR, payback, LCOE and PV cash flows.

Conventions follow numpy-financial: `cashflows[0]` happens now (t = 0, undiscounted), `cashflows[t]` at the
end of year t. Rates are fractions per year (0.05 = 5 %).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def npv(rate: float, cashflows: Sequence[float]) -> float:
    """Net present value: Σ cashflows[t] / (1 + rate)^t (numpy_financial.npv)."""
    if rate <= -1.0:
        raise ValueError(f"discount rate {rate} must be greater than -1 (-100 %)")
    factor = 1.0 / (1.0 + rate)
    return math.fsum(value * factor**t for t, value in enumerate(cashflows))


def _present_value(x: float, cashflows: Sequence[float]) -> float:
    """Σ cashflows[t] · x^t (Horner), i.e. NPV with discount factor x = 1 / (1 + rate)."""
    total = 0.0
    for value in reversed(cashflows):
        total = total * x + value
    return total


def _bisect(cashflows: Sequence[float], low: float, high: float) -> float:
    f_low = _present_value(low, cashflows)
    for _ in range(200):
        mid = 0.5 * (low + high)
        f_mid = _present_value(mid, cashflows)
        if f_mid == 0.0 or high - low <= 1e-16 * high:
            return mid
        if (f_mid < 0.0) == (f_low < 0.0):
            low, f_low = mid, f_mid
        else:
            high = mid
    return 0.5 * (low + high)


# Discount factors x = 1/(1+rate) searched for roots: 1e-6..1e6, i.e. rates from -99.9999 % to +1e8 %.
_FACTOR_GRID = tuple(10.0 ** (i / 100.0) for i in range(-600, 601))


def irr(cashflows: Sequence[float]) -> float | None:
    """Internal rate of return: the rate where NPV = 0, or None when there is none.

    Like numpy_financial.irr, solves Σ cashflows[t]·x^t = 0 for positive x = 1/(1+rate) and, when several
    rates solve it (cash flows changing sign more than once), returns the one closest to zero. Roots are
    bracketed on a logarithmic grid of x and bisected to machine precision; rates outside -99.9999 % to
    +1e8 % are not searched (None).
    """
    if len(cashflows) < 2 or all(v >= 0 for v in cashflows) or all(v <= 0 for v in cashflows):
        return None
    roots: list[float] = []
    previous_x, previous_value = _FACTOR_GRID[0], _present_value(_FACTOR_GRID[0], cashflows)
    for x in _FACTOR_GRID[1:]:
        value = _present_value(x, cashflows)
        if previous_value == 0.0:
            roots.append(previous_x)
        elif value != 0.0 and (value < 0.0) != (previous_value < 0.0):
            roots.append(_bisect(cashflows, previous_x, x))
        previous_x, previous_value = x, value
    if previous_value == 0.0:
        roots.append(previous_x)
    rates = [1.0 / x - 1.0 for x in roots]
    return min(rates, key=abs) if rates else None


def payback_period(cashflows: Sequence[float]) -> float | None:
    """Years until the cumulative cash flow turns non-negative, interpolated within the year; None if never."""
    cumulative = 0.0
    for year, value in enumerate(cashflows):
        previous = cumulative
        cumulative += value
        if cumulative >= 0.0 and year > 0 and previous < 0.0:
            return year - 1 + (-previous / value)
        if cumulative >= 0.0 and year == 0 and value >= 0.0:
            return 0.0
    return None


def discounted_payback_period(rate: float, cashflows: Sequence[float]) -> float | None:
    """Payback period of the discounted cash flows."""
    return payback_period([v / (1.0 + rate) ** t for t, v in enumerate(cashflows)])


def lcoe(
    capex: float,
    annual_kwh: float,
    discount_rate: float,
    years: int,
    opex_per_year: float = 0.0,
    degradation: float = 0.0,
) -> float:
    """Levelised cost of energy (currency per kWh): discounted costs / discounted energy.

    Energy in year t (1-based) is annual_kwh · (1 - degradation)^(t-1); costs are capex now plus opex each year.
    """
    if annual_kwh <= 0 or years < 1:
        raise ValueError(f"LCOE needs annual_kwh > 0 and years >= 1, got {annual_kwh} and {years}")
    costs = capex + math.fsum(opex_per_year / (1 + discount_rate) ** t for t in range(1, years + 1))
    energy = math.fsum(
        annual_kwh * (1 - degradation) ** (t - 1) / (1 + discount_rate) ** t for t in range(1, years + 1)
    )
    return costs / energy


@dataclass(frozen=True)
class SolarProject:
    """Economics of a PV system for its owner.

    Self-consumed energy saves the retail `price` (rising by `price_escalation` a year); the rest is exported
    at the `feed_in_tariff` (fixed). Production falls by `degradation` a year; `opex` is a yearly cost.
    """

    capex: float  # currency, paid now
    annual_kwh: float  # first-year AC production
    price: float  # currency per kWh bought from the grid
    feed_in_tariff: float = 0.0  # currency per kWh exported
    self_consumption: float = 0.3  # fraction of production used on site
    price_escalation: float = 0.02
    degradation: float = 0.005
    opex: float = 0.0  # currency per year
    discount_rate: float = 0.05
    years: int = 25

    def __post_init__(self) -> None:
        checks = (
            ("capex", self.capex >= 0, ">= 0"),
            ("annual_kwh", self.annual_kwh >= 0, ">= 0"),
            ("self_consumption", 0 <= self.self_consumption <= 1, "a fraction in [0, 1]"),
            ("degradation", 0 <= self.degradation < 1, "a fraction in [0, 1)"),
            ("discount_rate", self.discount_rate > -1, "> -1"),
            ("years", 1 <= self.years <= 100, "1-100"),
        )
        for name, ok, expected in checks:
            if not ok:
                raise ValueError(f"SolarProject.{name} = {getattr(self, name)!r}: expected {expected}")

    def energy(self, year: int) -> float:
        """AC production in year `year` (1-based), kWh."""
        return self.annual_kwh * (1 - self.degradation) ** (year - 1)

    def cash_flows(self) -> tuple[float, ...]:
        """Year 0: -capex; year t: savings + export revenue - opex."""
        flows = [-self.capex]
        for year in range(1, self.years + 1):
            energy = self.energy(year)
            retail = self.price * (1 + self.price_escalation) ** (year - 1)
            revenue = energy * (
                self.self_consumption * retail + (1 - self.self_consumption) * self.feed_in_tariff
            )
            flows.append(revenue - self.opex)
        return tuple(flows)

    @property
    def npv(self) -> float:
        return npv(self.discount_rate, self.cash_flows())

    @property
    def irr(self) -> float | None:
        return irr(self.cash_flows())

    @property
    def payback_years(self) -> float | None:
        return payback_period(self.cash_flows())

    @property
    def lcoe(self) -> float:
        return lcoe(self.capex, self.annual_kwh, self.discount_rate, self.years, self.opex, self.degradation)
