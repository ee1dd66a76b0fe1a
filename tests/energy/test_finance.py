"""Finance functions against numpy-financial and hand-checked cases."""

from __future__ import annotations

import math

import numpy_financial as npf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mplat.energy import finance

_cents = st.floats(min_value=-5e3, max_value=5e4, allow_nan=False).map(lambda v: round(v, 2))
_flows = st.lists(_cents, min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(min_value=-0.5, max_value=1.0),
    investment=st.floats(min_value=1e2, max_value=1e6),
    flows=_flows,
)
def test_npv_and_irr_equal_numpy_financial(rate: float, investment: float, flows: list[float]) -> None:
    cashflows = [-investment, *flows]
    expected_npv = npf.npv(rate, cashflows)
    assert finance.npv(rate, cashflows) == pytest.approx(expected_npv, abs=1e-6 * max(1.0, abs(expected_npv)))
    expected_irr = npf.irr(cashflows)
    # finance.irr searches rates from -99.9999 % to +1e8 % (documented); numpy-financial has no bounds.
    assume(math.isnan(expected_irr) or -0.999999 < expected_irr < 1e6)
    ours = finance.irr(cashflows)
    if math.isnan(expected_irr):
        assert ours is None
    else:
        assert ours == pytest.approx(expected_irr, abs=1e-6)


def test_payback_interpolates_within_the_year() -> None:
    assert finance.payback_period([-1000, 300, 300, 300, 300]) == pytest.approx(3 + 100 / 300)
    assert finance.payback_period([-1000, 100, 100]) is None
    assert finance.discounted_payback_period(0.1, [-1000, 600, 600]) == pytest.approx(
        1 + (1000 - 600 / 1.1) / (600 / 1.1**2)
    )


def test_lcoe_is_discounted_cost_over_discounted_energy() -> None:
    # 10 000 capex, 100/yr opex, 5 000 kWh falling 1 %/yr, 4 % over 2 years, by hand:
    costs = 10_000 + 100 / 1.04 + 100 / 1.04**2
    energy = 5000 / 1.04 + 4950 / 1.04**2
    assert finance.lcoe(10_000, 5000, 0.04, 2, opex_per_year=100, degradation=0.01) == pytest.approx(
        costs / energy
    )


def test_solar_project_cash_flows_include_escalation_degradation_and_feed_in() -> None:
    project = finance.SolarProject(
        capex=8000,
        annual_kwh=5000,
        price=0.30,
        feed_in_tariff=0.08,
        self_consumption=0.4,
        price_escalation=0.03,
        degradation=0.005,
        opex=50,
        discount_rate=0.05,
        years=20,
    )
    flows = project.cash_flows()
    assert flows[0] == -8000
    assert flows[1] == pytest.approx(5000 * (0.4 * 0.30 + 0.6 * 0.08) - 50)
    assert flows[2] == pytest.approx(5000 * 0.995 * (0.4 * 0.30 * 1.03 + 0.6 * 0.08) - 50)
    assert len(flows) == 21
    assert project.npv == pytest.approx(npf.npv(0.05, flows), abs=1e-6)
    assert project.irr == pytest.approx(npf.irr(flows), abs=1e-6)
    assert 0 < project.payback_years < 20
    assert project.lcoe > 0


def test_invalid_project_names_the_field() -> None:
    with pytest.raises(ValueError, match="SolarProject.self_consumption = 1.5"):
        finance.SolarProject(capex=1, annual_kwh=1, price=0.2, self_consumption=1.5)
