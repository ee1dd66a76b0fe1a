"""Entry points for `scripts/onprem-upload` and `scripts/upload-sample-data` (operators, devices)."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

import click

from mplat.ops import chalice_stage
from mplat.ops.onprem import DEFAULT_PART_SIZE, DEFAULT_STATE_DIR, UploadError, UploadRequest, upload
from mplat.project import NoProject, find_project

SAMPLE_DEVICE = "sample"


def sample_dirs() -> tuple[Path, ...]:
    """EPW files the project ships (data/examples/) and the reference set beside the project."""
    try:
        project = find_project()
    except NoProject as err:
        raise click.ClickException(f"{err}; or pass --from DIR") from None
    return (project / "data" / "examples", project.parent / "shared" / "data" / "weather")


def _raw_bucket(env: str | None, bucket: str | None) -> str:
    if bucket:
        return bucket
    if not env:
        raise click.UsageError(
            "give --bucket (on a device) or --env (in a clone, read from the Chalice stage)"
        )
    name = chalice_stage.stage_environment(env).get("RAW_BUCKET")
    if not name:
        raise click.ClickException(
            f"stage {env!r} has no RAW_BUCKET: run `python -m infra apply --env {env}`"
        )
    return name


def _device_client(env: str | None, device: str, from_secret: bool):  # noqa: ANN202 (boto3 client)
    import boto3

    if not from_secret:
        return boto3.client("s3")  # the standard chain: the device's own profile / environment
    if not env:
        raise click.UsageError("--credentials-from-secret needs --env")
    secret_id = f"mplat/{env}/onprem/{device}"
    try:
        value = json.loads(
            boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
        )
        key_id, secret = value["access_key_id"], value["secret_access_key"]
    except Exception as err:  # noqa: BLE001 (any failure: say which secret, never its value)
        raise click.ClickException(
            f"cannot read the device key from secret {secret_id!r} ({err.__class__.__name__}); "
            f"it is created by `python -m infra apply --env {env}`"
        ) from None
    return boto3.client("s3", aws_access_key_id=key_id, aws_secret_access_key=secret)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--device", required=True, help="Device name (infra/envs/<env>.toml [onprem] devices).")
@click.option("--env", help="Environment: the raw bucket is read from its Chalice stage (in a clone).")
@click.option("--bucket", help="Raw bucket name (on a device without the repository).")
@click.option("--name", help="Object name under onprem/<device>/ (default: the file name).")
@click.option("--part-size-mb", default=DEFAULT_PART_SIZE // 2**20, show_default=True, type=int)
@click.option(
    "--state-dir",
    default=DEFAULT_STATE_DIR,
    show_default=True,
    type=click.Path(path_type=Path),
    help="Where unfinished uploads are remembered (run the same command again to resume).",
)
@click.option(
    "--credentials-from-secret",
    is_flag=True,
    help="Use the device key stored in mplat/<env>/onprem/<device> (operators, local stack).",
)
def onprem_upload(
    file: Path,
    device: str,
    env: str | None,
    bucket: str | None,
    name: str | None,
    part_size_mb: int,
    state_dir: Path,
    credentials_from_secret: bool,
) -> None:
    """Upload FILE to onprem/<device>/ in the raw bucket, resumably, with SHA-256 checksums."""
    request = UploadRequest(
        path=file,
        bucket=_raw_bucket(env, bucket),
        device=device,
        name=name,
        part_size=part_size_mb * 2**20,
        state_dir=state_dir,
    )
    s3 = _device_client(env, device, credentials_from_secret)
    try:
        result = upload(s3, request, lambda sent, total: click.echo(f"{sent}/{total} bytes", err=True))
    except UploadError as err:
        raise click.ClickException(str(err)) from None
    click.echo(json.dumps(dataclasses.asdict(result)))


def sample_files(directories: tuple[Path, ...]) -> list[Path]:
    """The first directory holding `*.epw` / `*.epw.gz` files wins (shipped data before the reference set)."""
    for directory in directories:
        found = (
            sorted([*directory.rglob("*.epw"), *directory.rglob("*.epw.gz")]) if directory.is_dir() else []
        )
        if found:
            return found
    raise click.ClickException(f"no EPW files in {', '.join(map(str, directories))}; pass --from DIR")


@click.command()
@click.option("--env", required=True, help="Environment whose raw bucket receives the files.")
@click.option(
    "--from",
    "source_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory of .epw (or .epw.gz) files; default: data/examples, else ../shared/data/weather.",
)
def upload_sample_data(env: str, source_dir: Path | None) -> None:
    """Put the sample EPW weather files under onprem/sample/weather/ in the raw bucket (same bytes: no-op)."""
    import boto3

    bucket = _raw_bucket(env, None)
    s3 = boto3.client("s3")
    for path in sample_files((source_dir,) if source_dir else sample_dirs()):
        body = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        name = path.name.removesuffix(".gz")
        key = f"onprem/{SAMPLE_DEVICE}/weather/{name}"
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/plain")
        click.echo(f"s3://{bucket}/{key} ({len(body)} bytes)")


def main_onprem_upload() -> None:
    onprem_upload(prog_name="onprem-upload")


def main_upload_sample_data() -> None:
    upload_sample_data(prog_name="upload-sample-data")


if (
    __name__ == "__main__"
):  # on a device with only the package installed: python -m mplat.ops.onprem_cli FILE …
    main_onprem_upload()
