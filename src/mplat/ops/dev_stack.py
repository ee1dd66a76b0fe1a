"""`mplat dev up`: the whole backend on this machine, for trying it out and for tests.

1. a moto server on 127.0.0.1 (S3, IAM, Secrets Manager, Lambda, … in memory);
2. `python -m infra apply --env local --yes` against it (buckets, roles, secret placeholders, Chalice stage `local`);
3. the fake API (`mplat.ops.fake_api`) serving both example sources;
4. the example sources' secrets set to point at the fake API.
Then it prints the `export AWS_…` lines to use in another shell, then `ready`, and runs until Ctrl-C.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import click

from mplat.ops import chalice_stage
from mplat.ops.fake_api import FakeApi
from mplat.project import NoProject, find_project

ENV = "local"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # moto accepts any


@dataclass(frozen=True)
class StackEnv:
    endpoint: str
    region: str

    def variables(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            **FAKE_CREDENTIALS,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }


def local_config(project: Path) -> dict[str, Any]:
    path = project / "infra" / "envs" / f"{ENV}.toml"
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise click.ClickException(
            f"{path} is missing: run from the project folder (a clone of the repository) or pass --project"
        ) from None
    except tomllib.TOMLDecodeError as err:
        raise click.ClickException(f"{path} is not valid TOML: {err}") from None


def run_infra_apply(stack: StackEnv, chalice_config: Path, project: Path) -> None:
    """`python -m infra apply` in the project folder: `infra/` is the project's, run from its checkout."""
    command = [
        sys.executable,
        "-m",
        "infra",
        "apply",
        "--env",
        ENV,
        "--yes",
        "--chalice-config",
        str(chalice_config),
    ]
    click.echo(f"$ python {' '.join(command[1:])}", err=True)
    result = subprocess.run(
        command, cwd=project, env={**os.environ, **stack.variables()}, stdout=sys.stderr, stderr=sys.stderr
    )
    if result.returncode != 0:
        raise click.ClickException(
            f"`python -m infra apply --env {ENV}` failed (exit {result.returncode}), see above"
        )


def point_secrets_at(api: FakeApi, sources: list[str]) -> list[str]:
    """Give each example source listed in the local env its secret; returns the sources set up."""
    import boto3

    client = boto3.client("secretsmanager")
    done = []
    for source in sources:
        value = api.secrets().get(source)
        if value is None:  # a source added by the team: it has no fake, its secret stays as infra made it
            continue
        secret_id = f"mplat/{ENV}/ingest/{source}"
        try:
            client.put_secret_value(SecretId=secret_id, SecretString=json.dumps(value))
        except client.exceptions.ResourceNotFoundException:
            client.create_secret(Name=secret_id, SecretString=json.dumps(value))
        done.append(source)
    return done


def ensure_free(port: int, option: str) -> None:
    """moto's server thread cannot report a busy port back to us (it would wait forever): check first."""
    if port == 0:
        return
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise click.ClickException(
                f"port {port} on 127.0.0.1 is in use: pick another with {option} N"
            ) from None


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@click.group()
def dev() -> None:
    """The local stack (moto + infra + fake API)."""


@dev.command("up")
@click.option(
    "--port-moto", default=5000, show_default=True, help="Port of the moto server (0: any free port)."
)
@click.option("--port-api", default=8787, show_default=True, help="Port of the fake API (0: any free port).")
@click.option("--verbose", is_flag=True, help="Log every request moto answers.")
@click.option(
    "--project",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The project folder (infra/, chalice_app/); default: the current folder or the nearest parent.",
)
def up(port_moto: int, port_api: int, verbose: bool, project: Path | None) -> None:
    """Start the local stack; prints the environment to use, then `ready`; Ctrl-C stops it."""
    from moto.server import ThreadedMotoServer

    # Ctrl-C must stop the stack however it was started: a process launched in the background by a
    # non-interactive shell (`cmd &` in a script, some CI runners) inherits SIGINT as ignored, and Python
    # then leaves it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    logging.getLogger("werkzeug").setLevel(logging.INFO if verbose else logging.ERROR)
    try:
        project = (project or find_project()).resolve()
    except NoProject as err:
        raise click.ClickException(str(err)) from None
    os.environ.setdefault("MPLAT_PROJECT", str(project))  # chalice_stage finds the same project
    config = local_config(project)
    region = config.get("project", {}).get("region", "eu-central-1")
    sources = config.get("ingestion", {}).get("sources", [])
    chalice_config = chalice_stage.app_dir() / ".chalice" / "config.json"

    ensure_free(port_moto, "--port-moto")
    ensure_free(port_api, "--port-api")
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port_moto, verbose=verbose)
    moto.start()
    api: FakeApi | None = None
    try:
        host, port = moto.get_host_and_port()
        stack = StackEnv(endpoint=f"http://{host}:{port}", region=region)
        os.environ.update(stack.variables())  # this process talks to the stack too (secrets below)
        run_infra_apply(stack, chalice_config, project)
        api = FakeApi(port=port_api).start()
        configured = point_secrets_at(api, sources)
        click.echo(
            f"# fake API on {api.base_url} (knobs: POST {api.base_url}/_knobs); secrets set for: "
            f"{', '.join(configured) or 'none'}",
            err=True,
        )
        click.echo(
            f"# try: mplat ingest run {configured[0] if configured else 'SOURCE'} --env {ENV}", err=True
        )
        for name, value in stack.variables().items():
            click.echo(f"export {name}={value}")
        click.echo("ready")
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        while True:  # until Ctrl-C (KeyboardInterrupt) or SIGTERM
            # Not signal.pause(): the kernel may deliver the signal to one of the servers' threads, and
            # pause() in the main thread would then sleep on; a short sleep lets Python run the handler.
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        # a second Ctrl-C (or SIGTERM) must not cut the cleanup short and leave a port bound
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if api is not None:
            api.stop()
        moto.stop()
        click.echo("stopped", err=True)
