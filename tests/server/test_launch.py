"""Settings of the start script: flags over environment over defaults, and clear refusals."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from mplat.server.launch import (
    DEFAULT_NOTEBOOKS_DIR,
    LaunchError,
    ServerSettings,
    marimo_command,
    password_to_file,
    redact,
    settings_from,
    validate,
)

from .running import serve, server_environment


def test_defaults_serve_the_analysis_notebooks_locally_with_a_token() -> None:
    settings = settings_from([], {})
    assert settings == ServerSettings()
    assert settings.host == "127.0.0.1" and settings.port == 7860 and settings.auth == "token"
    assert settings.notebooks_dir == DEFAULT_NOTEBOOKS_DIR
    assert DEFAULT_NOTEBOOKS_DIR.is_dir()


def test_flags_override_environment() -> None:
    environ = {"MPLAT_SERVER_HOST": "0.0.0.0", "MPLAT_SERVER_PORT": "8000", "MPLAT_SERVER_AUTH": "alb"}
    assert settings_from([], environ).host == "0.0.0.0"
    settings = settings_from(["--port", "9000", "--auth", "token"], environ)
    assert (settings.host, settings.port, settings.auth) == ("0.0.0.0", 9000, "token")


def test_behind_the_alb_marimo_token_is_off(tmp_path: Path) -> None:
    command = marimo_command(ServerSettings(host="0.0.0.0", auth="alb", notebooks_dir=tmp_path), python="py")
    assert command[:5] == ["py", "-m", "marimo", "run", str(tmp_path)]
    assert "--no-token" in command and "--headless" in command
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "7860"
    assert "--include-code" not in command  # run mode never sends notebook source to browsers


def test_token_password_comes_from_a_file_never_the_command_line(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-value\n")
    settings = settings_from(["--token-password-file", str(token_file), "--notebooks", str(tmp_path)], {})
    command = marimo_command(settings)
    assert command[-3:] == ["--token", "--token-password-file", str(token_file)]
    assert not any("s3cret" in part for part in command)


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (["--port", "70000"], {}, "port 70000 is out of range"),
        ([], {"MPLAT_SERVER_PORT": "x"}, "port 'x' is not a number"),
        ([], {"MPLAT_SERVER_AUTH": "none"}, "auth mode 'none' is unknown"),
    ],
)
def test_bad_settings_are_refused_with_the_fix(
    argv: list[str], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(LaunchError, match=message):
        settings_from(argv, environ)


def test_validate_refuses_missing_or_empty_notebook_folders(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match="does not exist"):
        validate(ServerSettings(notebooks_dir=tmp_path / "missing"))
    with pytest.raises(LaunchError, match=r"holds no notebook \(\*\.py\)"):
        validate(ServerSettings(notebooks_dir=tmp_path))


def test_validate_refuses_unusable_token_files(tmp_path: Path) -> None:
    (tmp_path / "nb.py").write_text("import marimo\n")
    empty = tmp_path / "empty-token"
    empty.write_text("  \n")
    with pytest.raises(LaunchError, match="missing or empty"):
        validate(ServerSettings(notebooks_dir=tmp_path, token_password_file=empty))
    with pytest.raises(LaunchError, match="with auth mode 'alb'"):
        validate(ServerSettings(notebooks_dir=tmp_path, auth="alb", token_password_file=empty))
    validate(ServerSettings(notebooks_dir=tmp_path))


def test_redact_hides_tokens_in_urls() -> None:
    assert redact("URL: http://localhost:7860?access_token=hunter22\n") == (
        "URL: http://localhost:7860?access_token=<redacted>\n"
    )
    assert redact("no token here") == "no token here"


def test_password_from_the_environment_goes_to_a_private_file() -> None:
    environ = {"MARIMO_TOKEN_PASSWORD": "hunter22"}
    password_to_file(environ)
    assert "MARIMO_TOKEN_PASSWORD" not in environ
    path = Path(environ["MARIMO_TOKEN_PASSWORD_FILE"])
    assert path.read_text() == "hunter22"
    assert path.stat().st_mode & 0o777 == 0o600
    path.unlink()


def test_token_mode_server_asks_for_the_token_and_never_logs_it(tmp_path: Path, moto_server: str) -> None:
    env = server_environment(moto_server, {"MARIMO_TOKEN_PASSWORD": "hunter22", "SCRATCH_DIR": str(tmp_path)})
    opener = urllib.request.build_opener(NoRedirect)
    with serve(env, tmp_path, "--auth", "token") as running:
        assert (
            opener.open(f"{running.url}/health", timeout=10).status == 200
        )  # the ALB/ECS check needs no token
        refused = _status(opener, f"{running.url}/")
        accepted = _status(opener, f"{running.url}/?access_token=hunter22")
        wrong = _status(opener, f"{running.url}/?access_token=wrong")
        time.sleep(0.5)
        log = running.log.read_text()
    assert refused == (303, "/auth/login?next=%2F")
    assert accepted[0] == 303 and accepted[1] == "/"
    assert wrong[1].startswith("/auth/login")
    assert "access_token=<redacted>" in log
    assert "hunter22" not in log


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003 — keep 3xx answers as they are
        return None


def _status(opener: urllib.request.OpenerDirector, url: str) -> tuple[int, str]:
    try:
        response = opener.open(url, timeout=10)
        return response.status, response.headers.get("location", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("location", "")
