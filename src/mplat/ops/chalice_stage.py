"""Run the Chalice app's code in this process against whatever AWS endpoint is configured.

The stage `ENV` of the project's `chalice_app/.chalice/config.json` (written by `python -m infra apply --env ENV`)
provides the same environment variables the Lambdas get. `MPLAT_CHALICE_APP` points at another copy of the app
(tests). The code itself, `chalicelib`, is part of the installed distribution (pyproject.toml), so nothing
is added to `sys.path`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from mplat.project import NoProject, find_project


def app_dir() -> Path:
    """`$MPLAT_CHALICE_APP`, else the current project's `chalice_app/`."""
    if os.environ.get("MPLAT_CHALICE_APP"):
        path = Path(os.environ["MPLAT_CHALICE_APP"])
    else:
        try:
            path = find_project() / "chalice_app"
        except NoProject as err:
            raise click.ClickException(str(err)) from None
    if not (path / "app.py").is_file():
        raise click.ClickException(
            f"no Chalice app at {path}: run from the project folder (a clone of the repository) or set "
            "MPLAT_CHALICE_APP"
        )
    return path


def stage_environment(env: str, directory: Path | None = None) -> dict[str, str]:
    """The stage's `environment_variables`, with errors that say how to create the stage."""
    config_path = (directory or app_dir()) / ".chalice" / "config.json"
    try:
        config = json.loads(config_path.read_text())
    except FileNotFoundError:
        raise click.ClickException(
            f"{config_path} is missing: run `python -m infra apply --env {env}`"
        ) from None
    except ValueError as err:
        raise click.ClickException(f"{config_path} is not valid JSON: {err}") from None
    stage = config.get("stages", {}).get(env)
    if not isinstance(stage, dict):
        known = ", ".join(sorted(config.get("stages", {}))) or "none"
        raise click.ClickException(
            f"stage {env!r} not found in {config_path} (stages: {known}): run `python -m infra apply --env {env}` "
            "to create its buckets, roles and secrets and write the stage"
        )
    variables = stage.get("environment_variables", {})
    return {str(k): str(v) for k, v in variables.items()}


def activate(env: str) -> None:
    """Give this process the stage's environment (as Lambda would have) before `chalicelib` reads it."""
    os.environ.update(stage_environment(env))
