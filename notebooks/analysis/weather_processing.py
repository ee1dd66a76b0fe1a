# /// script
# [tool.mplat]
# title = "Weather processing"
# description = "Hourly EPW weather files from the raw bucket aggregated to daily and monthly statistics, written to the derived bucket."
# tags = ["weather", "pandas", "S3"]
# order = 10
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Weather processing", css_file="brand.css")


@app.cell(hide_code=True)
def _():
    import marimo as mo
    import plotly.graph_objects as go

    from mplat.server.catalog import load_source, weather_catalog
    from mplat.server.notebook_env import NotebookEnv, NotebookEnvError
    from mplat.server.storage import BucketUnavailable, s3_client, write_object
    from mplat.server.weather import (
        EpwError,
        daily_stats,
        derived_keys,
        monthly_stats,
        parse_epw,
        to_csv_bytes,
    )

    return (
        BucketUnavailable,
        EpwError,
        NotebookEnv,
        NotebookEnvError,
        daily_stats,
        derived_keys,
        go,
        load_source,
        mo,
        monthly_stats,
        parse_epw,
        s3_client,
        to_csv_bytes,
        weather_catalog,
        write_object,
    )


@app.cell(hide_code=True)
def _(mo):
    mo.md("""
    # Weather processing

    Hourly EnergyPlus weather files (EPW) from the raw bucket, aggregated to daily and monthly statistics,
    written to the derived bucket under `analysis/weather/<file>/`.
    """)
    return


@app.cell(hide_code=True)
def _(mo, NotebookEnv, NotebookEnvError, s3_client, weather_catalog):
    try:
        env = NotebookEnv.from_environ()
    except NotebookEnvError as _error:
        mo.stop(True, mo.callout(f"Configuration error: {_error}", kind="danger"))
    client = s3_client()
    catalog = weather_catalog(env, client)
    return catalog, client, env


@app.cell(hide_code=True)
def _(catalog, env, mo):
    if catalog.is_demo:
        _banner = mo.callout(
            mo.md(
                f"**Using demo data** — {catalog.demo_reason}. The bundled sample weather files are shown "
                "instead. Put EPW files under `onprem/<device>/` in the raw bucket "
                "(`scripts/upload-sample-data` or `scripts/onprem-upload`) and reload."
            ),
            kind="warn",
        )
    else:
        _banner = mo.md(f"{len(catalog.sources)} EPW file(s) in `s3://{env.raw_bucket}`.")
    mo.stop(
        not catalog.sources,
        mo.vstack(
            [_banner, mo.callout(f"No sample data found in {env.sample_data_dir} either.", kind="danger")]
        ),
    )
    choice = mo.ui.dropdown(
        options={source.label: source for source in catalog.sources},
        value=catalog.sources[0].label,
        label="Weather file",
    )
    mo.vstack([_banner, choice])
    return (choice,)


@app.cell(hide_code=True)
def _(BucketUnavailable, EpwError, choice, client, env, load_source, mo, parse_epw):
    source = choice.value
    try:
        weather = parse_epw(load_source(source, env, client), source.label)
    except (EpwError, BucketUnavailable) as _error:
        mo.stop(True, mo.callout(f"Cannot process {source.label}: {_error}", kind="danger"))
    return source, weather


@app.cell(hide_code=True)
def _(daily_stats, monthly_stats, weather):
    daily = daily_stats(weather)
    monthly = monthly_stats(weather)
    return daily, monthly


@app.cell(hide_code=True)
def _(
    BucketUnavailable,
    client,
    daily,
    derived_keys,
    env,
    mo,
    monthly,
    source,
    to_csv_bytes,
    write_object,
):
    if source.kind == "s3":
        _keys = derived_keys(source.location)
        try:
            _urls = [
                write_object(client, env.derived_bucket, _keys[_period], to_csv_bytes(_frame), "text/csv")
                for _period, _frame in (("daily", daily), ("monthly", monthly))
            ]
        except BucketUnavailable as _error:
            saved = mo.callout(f"Results not saved: {_error}", kind="danger")
        else:
            saved = mo.callout(
                mo.md("Saved to derived: " + ", ".join(f"`{_url}`" for _url in _urls)), kind="success"
            )
    else:
        saved = mo.md("_Demo data is not written to the derived bucket._")
    return (saved,)


@app.cell(hide_code=True)
def _(go, monthly):
    chart = go.Figure(
        [
            go.Bar(
                x=monthly["month"],
                y=monthly["ghi_kwh_m2"],
                name="global horizontal (kWh/m²)",
                marker_color="#D4A843",
            ),
            go.Scatter(
                x=monthly["month"],
                y=monthly["temp_mean_c"],
                name="mean temperature (°C)",
                yaxis="y2",
                line_color="#000000",
            ),
        ]
    )
    chart.update_layout(
        height=360,
        margin={"l": 40, "r": 40, "t": 30, "b": 30},
        xaxis={"title": "month", "dtick": 1},
        yaxis={"title": "kWh/m²"},
        yaxis2={"title": "°C", "overlaying": "y", "side": "right"},
        legend={"orientation": "h"},
    )
    return (chart,)


@app.cell(hide_code=True)
def _(chart, daily, mo, monthly, saved, weather):
    _site = weather.location
    _hourly = weather.hourly
    mo.vstack(
        [
            mo.md(
                f"## {_site.city}, {_site.country}\n\n"
                f"{_site.latitude:.2f}°, {_site.longitude:.2f}° · UTC{_site.timezone_hours:+g} · "
                f"{_site.elevation_m:g} m · {len(_hourly)} hourly rows"
            ),
            mo.hstack(
                [
                    mo.stat(f"{_hourly['temp_c'].mean():.1f} °C", label="mean temperature"),
                    mo.stat(f"{_hourly['ghi_wh_m2'].sum() / 1000:.0f} kWh/m²", label="global horizontal"),
                    mo.stat(f"{_hourly['wind_m_s'].mean():.1f} m/s", label="mean wind speed"),
                ]
            ),
            saved,
            mo.md("### Monthly irradiation and temperature"),
            chart,
            mo.md("### Monthly statistics"),
            mo.ui.table(monthly, selection=None, page_size=12, label="monthly"),
            mo.md("### Daily statistics"),
            mo.ui.table(daily, selection=None, page_size=31, label="daily"),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
