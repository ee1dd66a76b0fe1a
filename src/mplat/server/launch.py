"""Start the marimo server that serves the curated analysis notebooks (the image's entry point).

`docker/marimo/serve.sh` calls `python -m mplat.server`; this module turns flags and environment variables into
one `marimo run <notebooks dir>` command and replaces the current process with it (so marimo is PID 1 in the
container and receives SIGTERM from ECS directly).

Settings (flag > environment variable > default):

| flag | variable | default |
| --- | --- | --- |
| `--host` | `MPLAT_SERVER_HOST` | `127.0.0.1` (the image sets `0.0.0.0`) |
| `--port` | `MPLAT_SERVER_PORT` | `7860` |
| `--notebooks` | `MPLAT_NOTEBOOKS_DIR` | `notebooks/analysis` beside `src/` |
| `--auth` | `MPLAT_SERVER_AUTH` | `token` (the image too; the ECS task definition sets `alb`) |
| `--token-password-file` | `MARIMO_TOKEN_PASSWORD_FILE` | none: marimo makes a random token |
| | `MARIMO_TOKEN_PASSWORD` | the password itself (e.g. an ECS secret): written to a private file |
| | `MPLAT_ALB_SIGNER` | `alb` mode: the ALB's ARN, or its prefix `...:loadbalancer/app/<name>/` |
| | `MPLAT_ALB_KEY_URL` | `alb` mode: where the ALB's public keys are (`{region}`, `{kid}`); AWS's by default |

`alb` means "the ALB signs users in with Okta before any request reaches marimo": marimo's own token is off, and
a gate (`mplat.server.alb_gate`) on the public port lets through only requests carrying the ALB's signed
`x-amzn-oidc-data` header, forwarding them to marimo on 127.0.0.1. `token` is for any other exposure (a laptop, a
VM): marimo asks for a token. The password is read from a file, never passed on the command line, so it does not
show up in `ps` or logs.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from mplat.server.alb_gate import DEFAULT_KEY_URL, signer_region

AuthMode = Literal["alb", "token"]
AUTH_MODES: tuple[AuthMode, ...] = ("alb", "token")

DEFAULT_PORT = 7860
# Relative to the folder the server starts in: the project (or the image's /app, which mirrors its layout).
DEFAULT_NOTEBOOKS_DIR = Path("notebooks") / "analysis"
TOKEN_IN_URL = re.compile(r"(access_token=)[^\s&#]+")


class LaunchError(Exception):
    """A setting that would start a broken or unsafe server; the message says which and how to fix it."""


@dataclass(frozen=True, kw_only=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    notebooks_dir: Path = DEFAULT_NOTEBOOKS_DIR
    auth: AuthMode = "token"
    token_password_file: Path | None = None
    alb_signer: str | None = None  # alb mode: whose `x-amzn-oidc-data` signatures are accepted
    alb_key_url: str = DEFAULT_KEY_URL
    # Seconds a notebook session survives a dropped websocket (an iPad going to sleep, an ALB idle timeout).
    session_ttl_seconds: int = 120


def settings_from(argv: Sequence[str], environ: Mapping[str, str]) -> ServerSettings:
    """Flags override environment variables, which override the defaults."""
    parser = argparse.ArgumentParser(prog="python -m mplat.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=environ.get("MPLAT_SERVER_HOST", "127.0.0.1"))
    parser.add_argument("--port", default=environ.get("MPLAT_SERVER_PORT", str(DEFAULT_PORT)))
    parser.add_argument("--notebooks", default=environ.get("MPLAT_NOTEBOOKS_DIR", str(DEFAULT_NOTEBOOKS_DIR)))
    parser.add_argument("--auth", default=environ.get("MPLAT_SERVER_AUTH", "token"))
    parser.add_argument("--token-password-file", default=environ.get("MARIMO_TOKEN_PASSWORD_FILE") or None)
    parser.add_argument("--alb-signer", default=environ.get("MPLAT_ALB_SIGNER") or None)
    parser.add_argument("--alb-key-url", default=environ.get("MPLAT_ALB_KEY_URL") or DEFAULT_KEY_URL)
    args = parser.parse_args(list(argv))

    try:
        port = int(args.port)
    except ValueError:
        raise LaunchError(
            f"port {args.port!r} is not a number: set --port or MPLAT_SERVER_PORT to e.g. 7860"
        ) from None
    if not 0 < port < 65536:
        raise LaunchError(f"port {port} is out of range: use 1-65535 (the image uses 7860)")
    if args.auth not in AUTH_MODES:
        raise LaunchError(
            f"auth mode {args.auth!r} is unknown: set --auth or MPLAT_SERVER_AUTH to 'alb' (behind the ALB's "
            "Okta sign-in) or 'token' (marimo's own token, for anything not behind the ALB)"
        )
    return ServerSettings(
        host=args.host,
        port=port,
        notebooks_dir=Path(args.notebooks),
        auth=cast(AuthMode, args.auth),
        token_password_file=Path(args.token_password_file) if args.token_password_file else None,
        alb_signer=args.alb_signer,
        alb_key_url=args.alb_key_url,
    )


def validate(settings: ServerSettings) -> None:
    """Refuse settings that would start a server with nothing to show or an unreadable token."""
    notebooks = settings.notebooks_dir
    if not notebooks.is_dir():
        raise LaunchError(
            f"notebooks folder {notebooks} does not exist: set --notebooks or MPLAT_NOTEBOOKS_DIR "
            "to the folder holding the analysis notebooks"
        )
    if not any(notebooks.glob("*.py")):
        raise LaunchError(f"notebooks folder {notebooks} holds no notebook (*.py): add one or fix the path")
    token_file = settings.token_password_file
    if token_file is not None:
        if settings.auth != "token":
            raise LaunchError(
                f"a token password file ({token_file}) was given with auth mode {settings.auth!r}: "
                "use --auth token, or drop the file when running behind the ALB"
            )
        if not token_file.is_file() or not token_file.read_text(encoding="utf-8").strip():
            raise LaunchError(
                f"token password file {token_file} is missing or empty: write the password into it "
                "(one line) or unset MARIMO_TOKEN_PASSWORD_FILE to get a random token"
            )

    if settings.auth == "alb":
        if not settings.alb_signer:
            raise LaunchError(
                "auth mode 'alb' needs MPLAT_ALB_SIGNER, the ALB's ARN (or `...:loadbalancer/app/<name>/`), so "
                "only requests the ALB signed get through; the ECS task definition sets it. Anywhere else use "
                "--auth token"
            )
        try:
            signer_region(settings.alb_signer)
        except ValueError as err:
            raise LaunchError(str(err)) from None
        if "{kid}" not in settings.alb_key_url:
            raise LaunchError(f"MPLAT_ALB_KEY_URL {settings.alb_key_url!r} must contain {{kid}}")


def marimo_command(
    settings: ServerSettings, python: str = sys.executable, *, upstream_port: int | None = None
) -> list[str]:
    """The `marimo run` command line: run mode (read-only apps), every notebook of the folder, no code sent.
    Behind the gate (`alb`), marimo listens on 127.0.0.1:`upstream_port` only; the gate has the public port."""
    host, port = (settings.host, settings.port) if upstream_port is None else ("127.0.0.1", upstream_port)
    command = [
        python, "-m", "marimo", "run", str(settings.notebooks_dir),
        "--host", host,
        "--port", str(port),
        "--headless",
        "--session-ttl", str(settings.session_ttl_seconds),
    ]  # fmt: skip
    if settings.auth == "alb":
        command.append("--no-token")
    elif settings.token_password_file is not None:
        command += ["--token", "--token-password-file", str(settings.token_password_file)]
    else:
        command.append("--token")
    return command


def password_to_file(environ: dict[str, str]) -> None:
    """Move MARIMO_TOKEN_PASSWORD (how ECS passes a secret) into a 0600 file named by MARIMO_TOKEN_PASSWORD_FILE.

    The variable is removed from `environ`, so neither marimo's command line nor the notebooks see it.
    """
    password = environ.pop("MARIMO_TOKEN_PASSWORD", "")
    if not password or environ.get("MARIMO_TOKEN_PASSWORD_FILE"):
        return
    path = Path(tempfile.mkdtemp(prefix="mplat-token-")) / "token"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(password)
    environ["MARIMO_TOKEN_PASSWORD_FILE"] = str(path)


def main(argv: Sequence[str] | None = None) -> None:
    environ = dict(os.environ)
    password_to_file(environ)
    # The server never phones home (offline sites, no third parties): no PyPI version check at start-up.
    environ.setdefault("MARIMO_SKIP_UPDATE_CHECK", "1")
    try:
        settings = settings_from(sys.argv[1:] if argv is None else argv, environ)
        validate(settings)
    except LaunchError as error:
        print(f"mplat server: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(
        f"mplat server: serving {settings.notebooks_dir} on http://{settings.host}:{settings.port} "
        f"(auth: {settings.auth}, health: /health)",
        file=sys.stderr,
        flush=True,
    )
    if settings.auth == "alb":
        raise SystemExit(run_behind_gate(settings, environ))
    command = marimo_command(settings)
    if settings.token_password_file is None:
        # Replace this process: marimo becomes PID 1 in the container and gets ECS's SIGTERM directly.
        os.execve(command[0], command, environ)
    # marimo prints its URL with the token in it: keep a chosen password out of the logs.
    raise SystemExit(run_redacting_token(command, environ))


def run_behind_gate(settings: ServerSettings, environ: Mapping[str, str]) -> int:
    """marimo on 127.0.0.1 at a free port, the ALB gate on the public port; stop marimo when the gate stops."""
    import uvicorn

    from mplat.server.alb_gate import AlbTrust, Gate

    assert settings.alb_signer is not None  # validate() checked it
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        upstream_port = probe.getsockname()[1]
    child = subprocess.Popen(marimo_command(settings, upstream_port=upstream_port), env=dict(environ))
    gate = Gate(
        AlbTrust(signer=settings.alb_signer, key_url=settings.alb_key_url),
        upstream_port,
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )
    try:  # uvicorn stops on SIGTERM/SIGINT (ECS stopping the task), then marimo is stopped below
        uvicorn.run(
            gate, host=settings.host, port=settings.port, log_level="warning", lifespan="on", ws="websockets"
        )
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0


def redact(line: str) -> str:
    return TOKEN_IN_URL.sub(r"\1<redacted>", line)


def run_redacting_token(command: list[str], environ: Mapping[str, str]) -> int:
    """Run marimo as a child, forward SIGTERM/SIGINT to it, and copy its output with tokens redacted."""
    child = subprocess.Popen(
        command, env=dict(environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda received, _frame: child.send_signal(received))
    assert child.stdout is not None
    for line in child.stdout:
        sys.stdout.write(redact(line))
        sys.stdout.flush()
    return child.wait()
