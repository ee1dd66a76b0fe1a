# /// script
# [tool.mplat]
# title = "Orientation sweep"
# description = "Annual plane-of-array irradiation over a tilt × azimuth grid, to find the best orientation for a site; a long analysis that reports its progress."
# tags = ["solar", "weather", "long run"]
# order = 20
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Orientation sweep", css_file="brand.css")


@app.cell(hide_code=True)
def _():
    import time

    import marimo as mo

    from mplat.server.catalog import load_source, weather_catalog
    from mplat.server.notebook_env import NotebookEnv, NotebookEnvError
    from mplat.server.orientation import assemble, grid, sweep
    from mplat.server.storage import BucketUnavailable, s3_client
    from mplat.server.weather import EpwError, parse_epw

    return (
        BucketUnavailable,
        EpwError,
        NotebookEnv,
        NotebookEnvError,
        assemble,
        grid,
        load_source,
        mo,
        parse_epw,
        s3_client,
        sweep,
        time,
        weather_catalog,
    )


@app.cell(hide_code=True)
def _(mo):
    mo.md("""
    # Orientation sweep

    Annual plane-of-array irradiation for every tilt and azimuth on a grid (isotropic sky), to find the best
    orientation for a site. A fine grid on a long weather file takes a while: the page keeps you informed.
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
    mo.stop(
        not catalog.sources,
        mo.callout("No weather file in the raw bucket or the sample data.", kind="danger"),
    )
    choice = mo.ui.dropdown(
        options={source.label: source for source in catalog.sources},
        value=catalog.sources[0].label,
        label="Weather file",
    )
    step = mo.ui.dropdown(
        options={"5°": 5.0, "2°": 2.0, "1°": 1.0, "0.5°": 0.5}, value="1°", label="Grid step"
    )
    run = mo.ui.run_button(label="Run orientation sweep")
    _notice = mo.md("_Using demo data._") if catalog.is_demo else mo.md("")
    mo.vstack([_notice, mo.hstack([choice, step, run], justify="start")])
    return choice, client, env, run, step


@app.cell(hide_code=True)
def _(
    BucketUnavailable,
    EpwError,
    assemble,
    choice,
    client,
    env,
    grid,
    load_source,
    mo,
    parse_epw,
    run,
    step,
    sweep,
    time,
):
    mo.stop(not run.value, mo.md("Pick a weather file and a grid step, then run the sweep."))
    try:
        _weather = parse_epw(load_source(choice.value, env, client), choice.value.label)
    except (EpwError, BucketUnavailable) as _error:
        mo.stop(True, mo.callout(f"Cannot load {choice.value.label}: {_error}", kind="danger"))

    _tilts, _ = grid(step.value)
    _started = time.monotonic()
    _last_update = -1.0
    _rows = []
    for _tilt, _row in sweep(_weather, step.value):
        _rows.append((_tilt, _row))
        _elapsed = time.monotonic() - _started
        if _elapsed - _last_update >= 0.25:  # a few updates a second is enough for the page
            _last_update = _elapsed
            _progress = f"{len(_rows)} of {len(_tilts)} tilts, {_elapsed:.0f} s"
            if _elapsed > env.patience_seconds:
                _message = mo.callout(
                    mo.md(f"**Analysis taking longer than expected, please wait…** ({_progress})"),
                    kind="warn",
                )
            else:
                _message = mo.md(f"Running the sweep… ({_progress})")
            mo.output.replace(_message)
    result = assemble(_rows, step.value)
    elapsed = time.monotonic() - _started
    mo.output.replace(mo.md(f"Sweep finished in {elapsed:.1f} s."))
    return elapsed, result


@app.cell(hide_code=True)
def _(elapsed, mo, result):
    _tilt, _azimuth, _best = result.best
    _horizontal = float(result.annual_kwh_m2[0, 0])
    mo.vstack(
        [
            mo.md(
                f"## Best orientation: tilt {_tilt:g}°, azimuth {_azimuth:g}°\n\n"
                f"{_best:.0f} kWh/m² a year, {100 * (_best / _horizontal - 1):+.1f} % against horizontal "
                f"({_horizontal:.0f} kWh/m²). {result.annual_kwh_m2.size} orientations in {elapsed:.1f} s."
            ),
            mo.ui.table(
                [
                    {
                        "tilt": float(_t),
                        **{
                            f"az {int(_a)}": round(float(_v), 1)
                            for _a, _v in zip(result.azimuths_deg, _row, strict=True)
                            if _a % 45 == 0
                        },
                    }
                    for _t, _row in zip(result.tilts_deg, result.annual_kwh_m2, strict=True)
                    if _t % 10 == 0
                ],
                selection=None,
                page_size=10,
                label="Annual irradiation (kWh/m²) every 10° of tilt and 45° of azimuth",
            ),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
