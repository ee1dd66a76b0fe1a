# /// script
# [tool.mplat]
# title = "Pipeline status"
# description = "Per ingestion source: latest ingest day, object and record counts, and recent failures."
# tags = ["ingestion", "operations"]
# order = 30
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Pipeline status", css_file="brand.css")


@app.cell(hide_code=True)
def _():
    import marimo as mo

    from mplat.server.notebook_env import NotebookEnv, NotebookEnvError
    from mplat.server.status import failures_table_html, read_pipeline_status, summary_table_html
    from mplat.server.storage import BucketUnavailable, s3_client

    return (
        BucketUnavailable,
        NotebookEnv,
        NotebookEnvError,
        failures_table_html,
        mo,
        read_pipeline_status,
        s3_client,
        summary_table_html,
    )


@app.cell(hide_code=True)
def _(mo):
    refresh = mo.ui.button(label="Refresh", value=0, on_click=lambda count: count + 1)
    mo.vstack(
        [
            mo.md("""
    # Pipeline status

    Per ingestion source: the latest ingest day, object and record counts (from `counts/` in the derived bucket,
    kept by the `count` transform) and the most recent failures (from `failures/`).
    """),
            refresh,
        ]
    )
    return (refresh,)


@app.cell(hide_code=True)
def _(BucketUnavailable, mo, NotebookEnv, NotebookEnvError, read_pipeline_status, refresh, s3_client):
    _clicks = refresh.value  # referencing the button re-reads the bucket on every click
    try:
        env = NotebookEnv.from_environ()
    except NotebookEnvError as _error:
        mo.stop(True, mo.callout(f"Configuration error: {_error}", kind="danger"))
    try:
        status = read_pipeline_status(s3_client(), env.derived_bucket)
    except BucketUnavailable as _error:
        mo.stop(True, mo.callout(f"Cannot read the pipeline status: {_error}", kind="danger"))
    return env, status


@app.cell(hide_code=True)
def _(env, failures_table_html, mo, status, summary_table_html):
    _parts = [
        mo.md(
            f"**{len(status.sources)} source(s)** in `s3://{env.derived_bucket}` (environment `{env.mplat_env}`)"
        )
    ]
    if status.sources:
        _parts.append(mo.Html(summary_table_html(status)))
    else:
        _parts.append(mo.callout("No source has ingested anything yet.", kind="info"))
    if status.problems:
        _parts.append(
            mo.callout(
                mo.md("Unreadable status files:\n\n" + "\n".join(f"- `{_p}`" for _p in status.problems)),
                kind="warn",
            )
        )
    if any(_source.failures for _source in status.sources):
        _parts += [mo.md("## Recent failures"), mo.Html(failures_table_html(status))]
    else:
        _parts.append(mo.md("No recorded failures."))
    mo.vstack(_parts)
    return


if __name__ == "__main__":
    app.run()
