"""`mplat ingest …` and `mplat transform …`: the Lambdas' own code, run locally.

They use the standard AWS credential chain and honour `AWS_ENDPOINT_URL` (the local stack prints it).
Logs (JSON lines) go to stderr; the result goes to stdout as JSON.
"""

from __future__ import annotations

import dataclasses
import json
import sys

import click

from mplat.ops import chalice_stage

ENV_OPTION = click.option("--env", "env", required=True, help="Environment = Chalice stage, e.g. local, dev.")
ONLY_OPTION = click.option(
    "--only", "only", multiple=True, help="Run only this transform (repeatable), e.g. --only count."
)


def _fail(err: Exception) -> click.ClickException:
    return click.ClickException(f"{err.__class__.__name__}: {err}")


@click.group()
def ingest() -> None:
    """Ingestion sources (chalice_app/chalicelib/sources/)."""


@ingest.command("list")
@click.option("-v", "--verbose", is_flag=True, help="Also show schedule and description.")
def list_sources(verbose: bool) -> None:
    """List the sources, one a line."""
    from chalicelib import sources

    for name, source in sources.registry().items():
        click.echo(f"{name}\t{source.schedule}\t{source.description}" if verbose else name)


@ingest.command("run")
@click.argument("source")
@ENV_OPTION
def run_source(source: str, env: str) -> None:
    """Fetch SOURCE once into the raw bucket of ENV (same code as the `ingest-<source>-function` Lambda)."""
    chalice_stage.activate(env)
    from chalicelib.errors import IngestError
    from chalicelib.ingest import run_ingest
    from chalicelib.logs import RunLog
    from chalicelib.settings import Settings

    try:
        result = run_ingest(source, Settings.from_environ(), log=RunLog(stream=sys.stderr))
    except IngestError as err:
        raise _fail(err) from None
    click.echo(json.dumps(dataclasses.asdict(result)))


@click.group()
def transform() -> None:
    """Transforms of raw objects (chalice_app/chalicelib/transforms/)."""


def _context(env: str):  # noqa: ANN202 (chalicelib types are imported late)
    chalice_stage.activate(env)
    from chalicelib import aws, transforms
    from chalicelib.logs import RunLog
    from chalicelib.settings import Settings

    return transforms, transforms.Context(
        Settings.from_environ(), aws.client("s3"), RunLog(stream=sys.stderr)
    )


@transform.command("run")
@click.option(
    "--key", required=True, help="Raw object key, e.g. grid_prices/ingest_date=2026-01-01/<sha>.json"
)
@ENV_OPTION
@ONLY_OPTION
def run_transform(key: str, env: str, only: tuple[str, ...]) -> None:
    """Run the transforms matching KEY (same code as the `transform-raw-function` Lambda)."""
    transforms, ctx = _context(env)
    try:
        ran = transforms.dispatch(ctx, key, only or None)
    except Exception as err:
        raise _fail(err) from None
    click.echo(json.dumps({"key": key, "transforms": ran}))


@transform.command("backfill")
@click.option(
    "--prefix", required=True, help="Raw key prefix, e.g. grid_prices/ or grid_prices/ingest_date=2026-"
)
@ENV_OPTION
@ONLY_OPTION
def backfill(prefix: str, env: str, only: tuple[str, ...]) -> None:
    """Run the transforms over every raw object under PREFIX (each day's count once)."""
    transforms, ctx = _context(env)
    from chalicelib import storage

    try:
        keys = [key for key, _ in storage.list_keys(ctx.s3, ctx.settings.raw_bucket, prefix)]
        done = transforms.backfill(ctx, keys, only or None)
    except Exception as err:
        raise _fail(err) from None
    click.echo(json.dumps({"prefix": prefix, "objects": len(keys), "units": done}))
