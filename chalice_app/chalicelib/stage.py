"""What `app.py` needs to know at import time, when Chalice builds the deployment for one stage.

`chalice deploy/package --stage ENV` and `chalice.test.Client` set the stage's `environment_variables` (written by
`python -m infra apply --env ENV`) before importing `app.py`, and so does the Lambda runtime. That gives the raw
bucket for the S3 trigger, and (from the stage's `lambda_functions`, present in the project only) which sources
this stage runs. Nothing here is hard-coded per environment.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from chalicelib.errors import ConfigError

APP_DIR = Path(__file__).resolve().parent.parent
# Chalice names a Lambda `{app_name}-{stage}-{function}`: these function names make them follow the project's
# `mplat-{env}-{service}-{type}` (`mplat-dev-ingest-grid-prices-function`, `mplat-dev-transform-raw-function`).
# infra/naming.py builds the same names for the stage config, alarms and log groups; a test ties the two.
TRANSFORM_FUNCTION = "transform-raw-function"
_INGEST_FUNCTION = re.compile(r"^ingest-(?P<source>[a-z][a-z0-9-]*)-function$")


def ingest_function(source: str) -> str:
    return f"ingest-{source.replace('_', '-')}-function"


def raw_bucket(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    bucket = environ.get("RAW_BUCKET")
    if not bucket:
        raise ConfigError(
            "RAW_BUCKET is not set, so the S3 trigger of transform-raw-function has no bucket: deploy with "
            "`chalice deploy --stage ENV` for a stage written by `python -m infra apply --env ENV` "
            "(chalice_app/.chalice/config.json)"
        )
    return bucket


def stage_source_names(
    registered: list[str], environ: Mapping[str, str] | None = None, app_dir: Path = APP_DIR
) -> list[str]:
    """Sources that get an `ingest-<source>-function`: those the stage config lists (infra writes one
    `lambda_functions` entry per source in the env's `[ingestion] sources`). Inside Lambda there
    is no `.chalice/` folder: every registered source is importable there, and each function runs only its own."""
    environ = os.environ if environ is None else environ
    config_path = app_dir / ".chalice" / "config.json"
    env = environ.get("MPLAT_ENV")
    if not env or not config_path.is_file():
        return registered
    try:
        stage = json.loads(config_path.read_text()).get("stages", {}).get(env)
    except ValueError as err:
        raise ConfigError(f"{config_path} is not valid JSON: {err}") from None
    if not isinstance(stage, dict):
        return registered
    wanted = [
        match["source"].replace("-", "_")
        for match in map(_INGEST_FUNCTION.match, stage.get("lambda_functions", {}))
        if match
    ]
    unknown = [name for name in wanted if name not in registered]
    if unknown:
        raise ConfigError(
            f"{config_path}: stage {env!r} configures source(s) {unknown} that have no module; add "
            f"chalicelib/sources/<source>.py or remove them from infra/envs/{env}.toml [ingestion] sources"
        )
    return wanted
