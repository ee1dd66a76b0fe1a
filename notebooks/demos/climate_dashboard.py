# /// script
# requires-python = ">=3.12"
# dependencies = ["marimo", "plotly"]
#
# [tool.mplat]
# title = "Climate dashboard"
# description = "Explore a typical weather year (or upload your own EPW): temperatures, degree-days, wind rose, solar radiation, CSV export."
# tags = ["weather", "epw", "climate"]
# order = 2
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="Climate dashboard")


@app.cell
def _():
    import datetime
    import math

    import marimo as mo
    import plotly.graph_objects as go

    from mplat.energy import building, charts, controls, epw, io

    return building, charts, controls, datetime, epw, go, io, math, mo


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Climate dashboard

    A typical meteorological year, hour by hour: temperature, degree-days, wind and solar radiation. Pick a
    shipped weather file or upload an **EnergyPlus weather file** (`.epw`, or `.epw.gz`), e.g. from the
    EnergyPlus weather library or PVGIS. The data never leaves your browser.

    **Shareable presets**: `?location=piedmont&heating_base=18&cooling_base=22`. Parameters: `location`
    (`amsterdam`, `piedmont`), `heating_base` and `cooling_base` (°C, degree-day base temperatures).
    """)
    return


@app.cell
def _(mo):
    preset = mo.query_params().to_dict()
    return (preset,)


@app.cell
def _(controls, mo, preset):
    location = controls.weather_dropdown(mo, preset, label="Shipped weather file")
    upload = mo.ui.file(filetypes=[".epw", ".gz"], kind="area", label="…or drop your own EPW file here")
    heating_base = controls.slider(mo, preset, "heating_base", "Heating base (°C)", 10.0, 22.0, 0.5, 15.5)
    cooling_base = controls.slider(mo, preset, "cooling_base", "Cooling base (°C)", 15.0, 28.0, 0.5, 18.5)
    mo.hstack([mo.vstack([location, heating_base, cooling_base]), upload], widths="equal", gap=2)
    return cooling_base, heating_base, location, upload


@app.cell
def _(upload):
    # (file name, bytes) of an uploaded file, else None; its own cell so tests can inject an upload.
    uploaded = (upload.name(), upload.contents()) if upload.value else None
    return (uploaded,)


@app.cell
def _(controls, epw, io, location, mo, uploaded):
    # An uploaded file replaces the shipped one; a broken upload is explained and the shipped file is shown.
    problem = None
    weather = None
    if uploaded is not None:
        try:
            weather = epw.read_epw(uploaded[1])
        except epw.EpwError as error:
            problem = f"{uploaded[0]}: {str(error).removeprefix('<bytes>: ').removeprefix('<bytes> ')}"
    if weather is None:
        weather = epw.read_epw(io.read_bytes(controls.shipped_weather_location(mo, location.value)))
    _shipped = controls.SHIPPED_WEATHER[location.value].label
    source_name = uploaded[0] if uploaded is not None and problem is None else _shipped
    return problem, source_name, weather


@app.cell
def _(mo, problem, source_name, weather):
    _loc = weather.location
    _header = mo.md(
        f"## {_loc.name}\n\n{abs(_loc.latitude):.2f}° {'N' if _loc.latitude >= 0 else 'S'}, "
        f"{abs(_loc.longitude):.2f}° {'E' if _loc.longitude >= 0 else 'W'}, {_loc.elevation:g} m, "
        f"UTC{_loc.tz:+g} · source: {source_name}"
    )
    if problem:
        _warning = mo.callout(
            mo.md(
                f"**This file cannot be read as EPW weather data.**\n\n{problem}\n\nShowing {source_name} instead."
            ),
            kind="danger",
        )
        _out = mo.vstack([_warning, _header])
    else:
        _out = _header
    _out
    return


@app.cell
def _(building, cooling_base, heating_base, math, mo, weather):
    degree_days = building.degree_days(weather, heating_base.value, cooling_base.value)

    def _mean(values):
        present = [v for v in values if v is not None]
        return math.fsum(present) / len(present) if present else float("nan")

    def _kwh(values):  # hourly W/m² -> kWh/m²
        return math.fsum(v for v in values if v is not None) / 1000

    radiation = {"ghi": _kwh(weather.ghi), "dni": _kwh(weather.dni), "dhi": _kwh(weather.dhi)}
    mean_temperature = _mean(weather.temp_air)
    _present = [v for v in weather.temp_air if v is not None]
    mo.md(
        "\n".join(
            [
                f"- Mean temperature: **{mean_temperature:.1f} °C** "
                f"(min {min(_present):.1f} °C, max {max(_present):.1f} °C)",
                f"- Heating degree-days (base {heating_base.value:g} °C): **{degree_days.heating:,.0f} K·d**",
                f"- Cooling degree-days (base {cooling_base.value:g} °C): **{degree_days.cooling:,.0f} K·d**",
                f"- Global horizontal irradiation: **{radiation['ghi']:,.0f} kWh/m²** "
                f"(direct normal {radiation['dni']:,.0f}, diffuse {radiation['dhi']:,.0f} kWh/m²)",
                f"- Mean wind speed: **{_mean(weather.wind_speed):.1f} m/s**",
            ]
        )
    )
    return degree_days, radiation


@app.cell
def _(charts, go, weather):
    # Day x hour grid: row = hour of day (the hour starting at h), column = day of year.
    _grid = [[None] * 365 for _ in range(24)]
    for _i, _t in enumerate(weather.temp_air):
        _grid[_i % 24][_i // 24] = _t
    heatmap = go.Figure(
        go.Heatmap(
            z=_grid,
            x=list(range(1, 366)),
            y=list(range(24)),
            colorscale=[[0, "#1f3b73"], [0.5, charts.TEXT], [1, charts.GOLD]],
            colorbar=dict(title="°C"),
            hovertemplate="day %{x}, %{y}:00: %{z:.1f} °C<extra></extra>",
        ),
        layout=charts.layout(
            title="Air temperature", xaxis_title="Day of year", yaxis_title="Hour", height=380
        ),
    )
    heatmap
    return


@app.cell
def _(datetime, degree_days, math, mo, weather):
    MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    _half_hour = datetime.timedelta(minutes=30)
    _by_month = [{"t": [], "ghi": [], "wind": []} for _ in range(12)]
    for _i, _when in enumerate(weather.times):
        _bucket = _by_month[(_when - _half_hour).month - 1]  # an hour counts in the month where it starts
        for _key, _series in (("t", weather.temp_air), ("ghi", weather.ghi), ("wind", weather.wind_speed)):
            if _series[_i] is not None:
                _bucket[_key].append(_series[_i])

    def _avg(values):
        return math.fsum(values) / len(values) if values else float("nan")

    _rows = [
        "| Month | Mean °C | Min °C | Max °C | GHI kWh/m² | HDD K·d | CDD K·d | Wind m/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for _m, _d in enumerate(_by_month):
        _rows.append(
            f"| {MONTHS[_m]} | {_avg(_d['t']):.1f} | {min(_d['t'], default=float('nan')):.1f} | "
            f"{max(_d['t'], default=float('nan')):.1f} | {math.fsum(_d['ghi']) / 1000:.0f} | "
            f"{degree_days.monthly_heating[_m]:.0f} | {degree_days.monthly_cooling[_m]:.0f} | "
            f"{_avg(_d['wind']):.1f} |"
        )
    monthly_table = "\n".join(_rows)
    monthly_ghi = [math.fsum(_d["ghi"]) / 1000 for _d in _by_month]
    mo.md("### Monthly statistics\n\n" + monthly_table)
    return MONTHS, monthly_ghi, monthly_table


@app.cell
def _(charts, go, weather):
    # Wind rose: share of hours per 16 direction sectors, stacked by speed class.
    SECTORS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE"] + [
        "S",
        "SSW",
        "SW",
        "WSW",
        "W",
        "WNW",
        "NW",
        "NNW",
    ]
    SPEEDS = [(0, 2, "0-2 m/s"), (2, 4, "2-4 m/s"), (4, 6, "4-6 m/s"), (6, 8, "6-8 m/s"), (8, 1e9, "> 8 m/s")]
    _counts = [[0] * 16 for _ in SPEEDS]
    _hours = 0
    for _direction, _speed in zip(weather.wind_direction, weather.wind_speed, strict=True):
        if _direction is None or _speed is None or _speed == 0:
            continue  # calm or missing: no direction
        _hours += 1
        _sector = int(((_direction % 360) + 11.25) // 22.5) % 16
        _klass = next(_k for _k, (_low, _high, _) in enumerate(SPEEDS) if _low <= _speed < _high)
        _counts[_klass][_sector] += 1
    COLORS = ["#3a3a3a", "#6b5520", "#9c7c2f", charts.GOLD, "#f0d9a0"]
    wind_rose = go.Figure(
        [
            go.Barpolar(
                r=[100 * _c / max(_hours, 1) for _c in _row], theta=SECTORS, name=_label, marker_color=_color
            )
            for (_, _, _label), _row, _color in zip(SPEEDS, _counts, COLORS, strict=True)
        ],
        layout=charts.layout(
            title="Wind rose (% of hours)",
            polar=dict(angularaxis=dict(direction="clockwise", rotation=90)),
            legend=dict(orientation="h"),
            height=380,
        ),
    )
    wind_rose
    return


@app.cell
def _(MONTHS, charts, go, monthly_ghi, radiation):
    radiation_chart = go.Figure(
        go.Bar(x=MONTHS, y=[round(v, 1) for v in monthly_ghi], marker_color=charts.GOLD, name="GHI"),
        layout=charts.layout(
            title=f"Global horizontal irradiation: {radiation['ghi']:,.0f} kWh/m² per year",
            yaxis_title="kWh/m²",
            height=380,
        ),
    )
    radiation_chart
    return


@app.cell
def _(epw, mo, source_name, weather):
    _stem = (
        source_name.split(",")[0].strip().lower().replace(" ", "_").removesuffix(".gz").removesuffix(".epw")
    )
    csv_text = epw.to_csv(weather)
    # Lazy: the CSV (~750 kB as a data URL) is made when pressed, not stored in the page with its outputs.
    mo.download(
        data=lambda: csv_text.encode("utf-8"),
        filename=f"{_stem or 'weather'}_hourly.csv",
        mimetype="text/csv",
        label="Download the cleaned hourly data (CSV)",
    )
    return (csv_text,)


if __name__ == "__main__":
    app.run()
