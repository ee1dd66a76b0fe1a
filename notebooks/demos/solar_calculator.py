# /// script
# requires-python = ">=3.12"
# dependencies = ["marimo", "plotly"]
#
# [tool.mplat]
# title = "Solar calculator"
# description = "Rooftop PV for a real weather year: hourly PVWatts v5 simulation, monthly yield, payback, NPV and IRR."
# tags = ["solar", "pv", "finance"]
# order = 1
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="Solar calculator")


@app.cell
def _():
    import marimo as mo
    import plotly.graph_objects as go

    from mplat.energy import charts, controls, finance, presets, pv

    return charts, controls, finance, go, mo, presets, pv


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Solar calculator

    Hourly simulation of a fixed PV array over a typical weather year, with the models of NREL's **PVWatts v5**
    (sun position by NREL's SPA, Perez sky diffuse, glass incidence-angle loss, Fuentes cell temperature,
    PVWatts DC and inverter models), then the owner's cash flows over 25 years. Everything runs in your
    browser.

    **Shareable presets**: add URL query parameters to open with your own inputs, e.g.
    `?location=piedmont&system_kw=8&tilt=30`. Parameters: `location` (`amsterdam`, `piedmont`), `system_kw`,
    `tilt` (°), `azimuth` (° from north, 180 = south), `losses` (%), `price` (EUR/kWh), `feed_in` (EUR/kWh),
    `self_consumption` (%), `cost_per_kw` (EUR/kWp), `degradation` (%/year), `discount` (%/year).
    """)
    return


@app.cell
def _(mo):
    preset = mo.query_params().to_dict()
    return (preset,)


@app.cell
def _(controls, mo, preset):

    location = controls.weather_dropdown(mo, preset, label="Weather (typical year)")
    system_kw = controls.slider(mo, preset, "system_kw", "System size (kWp)", 1.0, 30.0, 0.5, 5.0)
    tilt = controls.slider(mo, preset, "tilt", "Tilt (°)", 0, 90, 1, 35)
    azimuth = controls.slider(mo, preset, "azimuth", "Azimuth (° from north)", 90, 270, 5, 180)
    losses = controls.slider(mo, preset, "losses", "System losses (%)", 5.0, 25.0, 0.5, 14.0)
    price = controls.slider(mo, preset, "price", "Electricity price (EUR/kWh)", 0.10, 0.60, 0.01, 0.30)
    feed_in = controls.slider(mo, preset, "feed_in", "Feed-in tariff (EUR/kWh)", 0.00, 0.25, 0.01, 0.08)
    self_consumption = controls.slider(mo, preset, "self_consumption", "Self-consumption (%)", 0, 100, 5, 40)
    cost_per_kw = controls.slider(mo, preset, "cost_per_kw", "Installed cost (EUR/kWp)", 500, 3000, 50, 1400)
    degradation = controls.slider(mo, preset, "degradation", "Degradation (%/year)", 0.0, 1.5, 0.1, 0.5)
    discount = controls.slider(mo, preset, "discount", "Discount rate (%/year)", 0.0, 12.0, 0.5, 5.0)
    return (
        azimuth,
        cost_per_kw,
        degradation,
        discount,
        feed_in,
        location,
        losses,
        price,
        self_consumption,
        system_kw,
        tilt,
    )


@app.cell
def _(
    azimuth,
    cost_per_kw,
    degradation,
    discount,
    feed_in,
    location,
    losses,
    mo,
    price,
    self_consumption,
    system_kw,
    tilt,
):
    mo.hstack(
        [
            mo.vstack([mo.md("**System**"), location, system_kw, tilt, azimuth, losses]),
            mo.vstack(
                [mo.md("**Economics**"), price, feed_in, self_consumption, cost_per_kw, degradation, discount]
            ),
        ],
        widths="equal",
        gap=2,
    )
    return


@app.cell
def _(controls, location, mo):
    weather = controls.read_shipped_weather(mo, location.value)
    return (weather,)


@app.cell
def _(azimuth, losses, pv, system_kw, tilt, weather):
    system = pv.PVSystem(
        dc_kw=system_kw.value, tilt=tilt.value, azimuth=azimuth.value, losses=losses.value / 100
    )
    simulation = pv.simulate(weather, system)
    annual_kwh = simulation.annual_ac_kwh
    return annual_kwh, simulation, system


@app.cell
def _(
    annual_kwh,
    cost_per_kw,
    degradation,
    discount,
    feed_in,
    finance,
    price,
    self_consumption,
    system,
):
    project = finance.SolarProject(
        capex=cost_per_kw.value * system.dc_kw,
        annual_kwh=annual_kwh,
        price=price.value,
        feed_in_tariff=feed_in.value,
        self_consumption=self_consumption.value / 100,
        price_escalation=0.02,
        degradation=degradation.value / 100,
        discount_rate=discount.value / 100,
        years=25,
    )
    cash_flows = project.cash_flows()
    return cash_flows, project


@app.cell
def _(
    annual_kwh,
    azimuth,
    cost_per_kw,
    degradation,
    discount,
    feed_in,
    location,
    losses,
    mo,
    presets,
    price,
    project,
    self_consumption,
    simulation,
    system_kw,
    tilt,
    weather,
):
    _payback = project.payback_years
    _irr = project.irr
    summary = "\n".join(
        [
            f"- Annual production: **{annual_kwh:,.0f} kWh**",
            f"- Specific yield: **{simulation.specific_yield:,.0f} kWh/kWp**",
            f"- Investment: **EUR {project.capex:,.0f}**",
            f"- Payback: **{_payback:.1f} years**"
            if _payback is not None
            else "- Payback: **not within 25 years**",
            f"- NPV (25 years): **EUR {project.npv:,.0f}**",
            f"- IRR: **{_irr * 100:.1f} %**" if _irr is not None else "- IRR: **none**",
            f"- LCOE: **EUR {project.lcoe:.3f}/kWh**",
        ]
    )
    _link = presets.query_string(
        {
            "location": location.value,
            "system_kw": system_kw.value,
            "tilt": tilt.value,
            "azimuth": azimuth.value,
            "losses": losses.value,
            "price": price.value,
            "feed_in": feed_in.value,
            "self_consumption": self_consumption.value,
            "cost_per_kw": cost_per_kw.value,
            "degradation": degradation.value,
            "discount": discount.value,
        }
    )
    mo.md(
        f"### {weather.location.name}: {system_kw.value:g} kWp at {tilt.value:g}° tilt, {azimuth.value:g}° azimuth\n\n"
        f"{summary}\n\nPreset link for this configuration: `{_link}`"
    )
    return (summary,)


@app.cell
def _(charts, go, simulation):
    MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    monthly_chart = go.Figure(
        go.Bar(
            x=MONTHS,
            y=[round(v, 1) for v in simulation.monthly_ac_kwh],
            marker_color=charts.GOLD,
            hovertemplate="%{x}: %{y:,.0f} kWh<extra></extra>",
        ),
        layout=charts.layout(title="Monthly AC production", yaxis_title="kWh"),
    )
    monthly_chart
    return


@app.cell
def _(cash_flows, charts, go):
    _cumulative = []
    _total = 0.0
    for _flow in cash_flows:
        _total += _flow
        _cumulative.append(round(_total))
    cash_flow_chart = go.Figure(
        [
            go.Bar(
                x=list(range(len(cash_flows))),
                y=[round(v) for v in cash_flows],
                name="Yearly cash flow",
                marker_color=[charts.DARK_GOLD if v < 0 else charts.GOLD for v in cash_flows],
            ),
            go.Scatter(
                x=list(range(len(cash_flows))),
                y=_cumulative,
                name="Cumulative",
                line=dict(color=charts.TEXT, width=3),
            ),
        ],
        layout=charts.layout(
            title="Owner's cash flows", xaxis_title="Year", yaxis_title="EUR", legend=dict(orientation="h")
        ),
    )
    cash_flow_chart
    return


if __name__ == "__main__":
    app.run()
