# /// script
# [tool.mplat]
# title = "Scratch staging"
# description = "Stage large weather files and intermediate tables in the shared 2 GB scratch folder."
# tags = ["weather", "storage"]
# order = 40
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Scratch staging", css_file="brand.css")


@app.cell(hide_code=True)
def _():
    import marimo as mo

    from mplat.server.catalog import load_source, weather_catalog
    from mplat.server.notebook_env import NotebookEnv, NotebookEnvError
    from mplat.server.scratch import ScratchFull, ScratchSpace, human_bytes
    from mplat.server.storage import BucketUnavailable, s3_client
    from mplat.server.weather import EpwError, file_stem, parse_epw, to_csv_bytes

    return (
        BucketUnavailable,
        EpwError,
        NotebookEnv,
        NotebookEnvError,
        ScratchFull,
        ScratchSpace,
        file_stem,
        human_bytes,
        load_source,
        mo,
        parse_epw,
        s3_client,
        to_csv_bytes,
        weather_catalog,
    )


@app.cell(hide_code=True)
def _(mo):
    mo.md("""
    # Scratch staging

    Large inputs and intermediate tables go to the shared scratch folder (EFS on Fargate), not to the
    container's disk, which is lost when the task restarts. Scratch holds at most 2 GB: staging that would pass
    the limit is refused, and nothing half-written is left behind. Results worth keeping belong in the derived
    bucket.
    """)
    return


@app.cell(hide_code=True)
def _(mo, NotebookEnv, NotebookEnvError, s3_client, ScratchSpace, weather_catalog):
    try:
        env = NotebookEnv.from_environ()
    except NotebookEnvError as _error:
        mo.stop(True, mo.callout(f"Configuration error: {_error}", kind="danger"))
    client = s3_client()
    scratch = ScratchSpace(env.scratch_dir, env.scratch_limit_bytes)
    try:
        scratch.ensure_exists()
    except OSError as _error:
        mo.stop(True, mo.callout(f"Scratch folder {env.scratch_dir} is not usable: {_error}", kind="danger"))
    catalog = weather_catalog(env, client)
    source_choice = mo.ui.dropdown(
        options={source.label: source for source in catalog.sources},
        value=catalog.sources[0].label if catalog.sources else None,
        label="Weather file to stage",
    )
    stage_button = mo.ui.run_button(label="Stage into scratch")
    _notice = mo.md("_Using demo data._") if catalog.is_demo else mo.md("")
    mo.vstack([_notice, mo.hstack([source_choice, stage_button], justify="start")])
    return client, env, scratch, source_choice, stage_button


@app.cell(hide_code=True)
def _(mo):
    # Bumped after staging or deleting, so the listing below is read again.
    get_listing_version, set_listing_version = mo.state(0)
    return get_listing_version, set_listing_version


@app.cell(hide_code=True)
def _(
    BucketUnavailable,
    EpwError,
    ScratchFull,
    client,
    env,
    file_stem,
    load_source,
    mo,
    parse_epw,
    scratch,
    set_listing_version,
    source_choice,
    stage_button,
    to_csv_bytes,
):
    mo.stop(not stage_button.value or source_choice.value is None)
    _source = source_choice.value
    _stem = file_stem(_source.location)
    _name = _source.location.rsplit("/", 1)[-1]
    _staged = []
    try:
        # Check the announced size first: a file that cannot fit is never downloaded.
        scratch.ensure_room(_source.size, replacing=f"inputs/{_name}")
        _data = load_source(_source, env, client)
        _staged.append(scratch.stage_bytes(f"inputs/{_name}", _data))
        _hourly = parse_epw(_data, _source.label).hourly
        _staged.append(scratch.stage_bytes(f"intermediate/{_stem}.hourly.csv", to_csv_bytes(_hourly)))
    except ScratchFull as _error:
        _kept = f" Already staged: {', '.join(f'`{_path}`' for _path in _staged)}." if _staged else ""
        _message = mo.callout(mo.md(f"**Not staged**: {_error}.{_kept}"), kind="danger")
    except (BucketUnavailable, EpwError) as _error:
        _message = mo.callout(f"Not staged: {_error}", kind="danger")
    else:
        _message = mo.callout(
            mo.md("Staged: " + ", ".join(f"`{_path}`" for _path in _staged)), kind="success"
        )
    set_listing_version(lambda version: version + 1)
    mo.output.replace(_message)
    return


@app.cell(hide_code=True)
def _(get_listing_version, mo, scratch):
    get_listing_version()
    delete_choice = mo.ui.multiselect(
        options=[item.name for item in scratch.files()], label="Files to delete"
    )
    return (delete_choice,)


@app.cell(hide_code=True)
def _(delete_choice, mo, scratch, set_listing_version):
    def _delete(count):
        for name in delete_choice.value:
            scratch.remove(name)
        set_listing_version(lambda version: version + 1)
        return count + 1

    delete_button = mo.ui.button(label="Delete selected", value=0, on_click=_delete)
    return (delete_button,)


@app.cell(hide_code=True)
def _(delete_button, delete_choice, get_listing_version, human_bytes, mo, scratch):
    get_listing_version()
    _files = scratch.files()
    _used = sum(_item.size for _item in _files)
    mo.vstack(
        [
            mo.md(
                f"## Scratch: {human_bytes(_used)} of {human_bytes(scratch.limit_bytes)} used "
                f"({100 * _used / scratch.limit_bytes:.1f} %)\n\n`{scratch.root}` · {len(_files)} file(s)"
            ),
            mo.ui.table(
                [{"file": _item.name, "size": human_bytes(_item.size)} for _item in _files],
                selection=None,
                label="files",
            )
            if _files
            else mo.md("_Scratch is empty._"),
            mo.hstack([delete_choice, delete_button], justify="start"),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
