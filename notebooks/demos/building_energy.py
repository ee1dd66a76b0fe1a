# /// script
# requires-python = ">=3.12"
# dependencies = ["marimo", "plotly"]
#
# [tool.mplat]
# title = "Building energy retrofit"
# description = "Heating demand of a house from its envelope and a real weather year, and what a retrofit saves in kWh, EUR and CO2."
# tags = ["buildings", "heating", "retrofit"]
# order = 3
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="Building energy retrofit")


@app.cell
def _():
    import marimo as mo
    import plotly.graph_objects as go

    from mplat.energy import building, charts, controls, epw, io

    return building, charts, controls, epw, go, io, mo


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Building energy retrofit

    A detached house (140 m² floor, 350 m³ heated volume) in a typical weather year. Its heating demand is an
    hourly steady-state heat balance: transmission through walls, roof, floor and windows (area × U-value),
    ventilation and infiltration air changes, minus internal gains. Compare the house **today** with a
    **retrofit** and see the savings in energy, money and CO₂.

    **Shareable presets**: `?location=piedmont&wall_u=1.2&wall_u_new=0.2`. Parameters: `location`
    (`amsterdam`, `piedmont`), `setpoint` (°C), today's `wall_u`, `roof_u`, `window_u` (W/m²K) and `ach`
    (air changes per hour), the retrofit's `wall_u_new`, `roof_u_new`, `window_u_new`, `ach_new` and
    `recovery_new` (% heat recovery), and `gas_price` (EUR/kWh), `efficiency` (%), `co2` (kg/kWh).
    """)
    return


@app.cell
def _(mo):
    preset = mo.query_params().to_dict()
    return (preset,)


@app.cell
def _(controls, mo, preset):

    location = controls.weather_dropdown(mo, preset, label="Weather (typical year)")
    setpoint = controls.slider(mo, preset, "setpoint", "Indoor setpoint (°C)", 16.0, 24.0, 0.5, 20.0)
    wall_u = controls.slider(mo, preset, "wall_u", "Walls U (W/m²K)", 0.1, 2.5, 0.05, 1.2)
    roof_u = controls.slider(mo, preset, "roof_u", "Roof U (W/m²K)", 0.1, 2.5, 0.05, 0.9)
    window_u = controls.slider(mo, preset, "window_u", "Windows U (W/m²K)", 0.6, 5.8, 0.1, 2.8)
    ach = controls.slider(mo, preset, "ach", "Air changes (1/h)", 0.1, 2.0, 0.05, 0.8)
    wall_u_new = controls.slider(mo, preset, "wall_u_new", "Walls U (W/m²K)", 0.1, 2.5, 0.05, 0.25)
    roof_u_new = controls.slider(mo, preset, "roof_u_new", "Roof U (W/m²K)", 0.1, 2.5, 0.05, 0.18)
    window_u_new = controls.slider(mo, preset, "window_u_new", "Windows U (W/m²K)", 0.6, 5.8, 0.1, 1.1)
    ach_new = controls.slider(mo, preset, "ach_new", "Air changes (1/h)", 0.1, 2.0, 0.05, 0.5)
    recovery_new = controls.slider(mo, preset, "recovery_new", "Ventilation heat recovery (%)", 0, 90, 5, 0)
    gas_price = controls.slider(mo, preset, "gas_price", "Gas price (EUR/kWh)", 0.04, 0.30, 0.01, 0.12)
    efficiency = controls.slider(mo, preset, "efficiency", "Boiler efficiency (%)", 60, 100, 1, 90)
    co2 = controls.slider(mo, preset, "co2", "Emission factor (kg CO₂/kWh)", 0.0, 0.40, 0.01, 0.20)
    mo.hstack(
        [
            mo.vstack([mo.md("**Today**"), location, setpoint, wall_u, roof_u, window_u, ach]),
            mo.vstack([mo.md("**Retrofit**"), wall_u_new, roof_u_new, window_u_new, ach_new, recovery_new]),
            mo.vstack([mo.md("**Energy**"), gas_price, efficiency, co2]),
        ],
        widths="equal",
        gap=2,
    )
    return (
        ach,
        ach_new,
        co2,
        efficiency,
        gas_price,
        location,
        recovery_new,
        roof_u,
        roof_u_new,
        setpoint,
        wall_u,
        wall_u_new,
        window_u,
        window_u_new,
    )


@app.cell
def _(controls, epw, io, location, mo):
    weather = epw.read_epw(io.read_bytes(controls.shipped_weather_location(mo, location.value)))
    return (weather,)


@app.cell
def _(
    ach,
    ach_new,
    building,
    recovery_new,
    roof_u,
    roof_u_new,
    setpoint,
    wall_u,
    wall_u_new,
    weather,
    window_u,
    window_u_new,
):
    # Envelope areas of the reference house (m²): two storeys of 70 m², 30 m² of windows.
    AREAS = {"walls": 150.0, "roof": 85.0, "floor": 70.0, "windows": 30.0}
    FLOOR_U = 0.6  # ground floor, not part of the retrofit
    VOLUME = 350.0
    INTERNAL_GAINS = 450.0  # W: occupants, appliances, lighting (annual average)

    def _house(walls, roof, windows, air_changes, recovery):
        return building.Building(
            elements=(
                building.Element("walls", AREAS["walls"], walls),
                building.Element("roof", AREAS["roof"], roof),
                building.Element("floor", AREAS["floor"], FLOOR_U),
                building.Element("windows", AREAS["windows"], windows),
            ),
            volume=VOLUME,
            air_changes=air_changes,
            heat_recovery=recovery,
            internal_gains=INTERNAL_GAINS,
            setpoint=setpoint.value,
        )

    today = _house(wall_u.value, roof_u.value, window_u.value, ach.value, 0.0)
    retrofit = _house(
        wall_u_new.value, roof_u_new.value, window_u_new.value, ach_new.value, recovery_new.value / 100
    )
    demand_today = building.heating_demand(today, weather)
    demand_retrofit = building.heating_demand(retrofit, weather)
    degree_days = building.degree_days(weather, heating_base=15.5)
    return degree_days, demand_retrofit, demand_today, retrofit, today


@app.cell
def _(
    building,
    co2,
    degree_days,
    demand_retrofit,
    demand_today,
    efficiency,
    gas_price,
    mo,
    retrofit,
    today,
    weather,
):
    boiler = building.HeatingSystem(
        efficiency=efficiency.value / 100, price=gas_price.value, co2_kg_per_kwh=co2.value
    )
    savings_kwh = demand_today.annual_kwh - demand_retrofit.annual_kwh
    savings_eur = boiler.cost(demand_today.annual_kwh) - boiler.cost(demand_retrofit.annual_kwh)
    savings_co2 = boiler.co2_kg(demand_today.annual_kwh) - boiler.co2_kg(demand_retrofit.annual_kwh)
    _share = 100 * savings_kwh / demand_today.annual_kwh if demand_today.annual_kwh else 0.0
    mo.md(
        f"### {weather.location.name}\n\n"
        f"- Heating degree-days (base 15.5 °C): **{degree_days.heating:,.0f} K·d**\n"
        f"- Heat loss coefficient: today **{today.heat_loss_coefficient:,.0f} W/K**, "
        f"retrofit **{retrofit.heat_loss_coefficient:,.0f} W/K**\n"
        f"- Heating demand today: **{demand_today.annual_kwh:,.0f} kWh** "
        f"({demand_today.annual_kwh / 140:,.0f} kWh/m², peak {demand_today.peak_kw:.1f} kW)\n"
        f"- Heating demand after retrofit: **{demand_retrofit.annual_kwh:,.0f} kWh** "
        f"({demand_retrofit.annual_kwh / 140:,.0f} kWh/m², peak {demand_retrofit.peak_kw:.1f} kW)\n"
        f"- Savings: **{savings_kwh:,.0f} kWh** of heat ({_share:.0f} %), "
        f"**EUR {savings_eur:,.0f}** and **{savings_co2:,.0f} kg CO₂** per year"
    )
    return savings_co2, savings_eur, savings_kwh


@app.cell
def _(charts, demand_retrofit, demand_today, go):
    MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    demand_chart = go.Figure(
        [
            go.Bar(
                x=MONTHS,
                y=[round(v) for v in demand_today.monthly_kwh],
                name="Today",
                marker_color=charts.GREY,
            ),
            go.Bar(
                x=MONTHS,
                y=[round(v) for v in demand_retrofit.monthly_kwh],
                name="After retrofit",
                marker_color=charts.GOLD,
            ),
        ],
        layout=charts.layout(
            title="Monthly heating demand",
            yaxis_title="kWh",
            barmode="group",
            legend=dict(orientation="h"),
            height=380,
        ),
    )
    demand_chart
    return


if __name__ == "__main__":
    app.run()
