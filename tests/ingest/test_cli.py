"""The `mplat ingest` / `mplat transform` commands, run as subprocesses against the moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MPLAT = [str(Path(sys.executable).with_name("mplat"))]


def mplat(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*MPLAT, *args], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_ingest_list_one_source_a_line():
    assert mplat("ingest", "list").stdout.splitlines() == ["grid_prices", "meter_readings"]


def test_ingest_run_then_transform_run(stack, with_secrets):
    first = json.loads(mplat("ingest", "run", "grid_prices", "--env", "local").stdout)
    again = json.loads(mplat("ingest", "run", "grid_prices", "--env", "local").stdout)
    assert first["written"] and not again["written"] and first["key"] == again["key"]
    assert stack.raw_keys() == [first["key"]]
    out = json.loads(mplat("transform", "run", "--key", first["key"], "--env", "local").stdout)
    assert out["transforms"] == ["count", "normalize"]
    date = first["key"].split("ingest_date=")[1][:10]
    assert stack.derived_json(f"counts/grid_prices/{date}.json")["records"] == 48


def test_cli_errors_are_clear_and_leak_nothing(stack, with_secrets):
    with_secrets.set_knobs(fail_always=503)
    failed = mplat("ingest", "run", "meter_readings", "--env", "local", check=False)
    assert failed.returncode == 1
    assert "Error: FetchError: GET http://127.0.0.1:" in failed.stderr and "Traceback" not in failed.stderr
    assert with_secrets.credentials.password not in failed.stderr + failed.stdout
    unknown = mplat("ingest", "run", "nope", "--env", "local", check=False)
    assert "unknown source 'nope' (known: grid_prices, meter_readings)" in unknown.stderr
    no_stage = mplat("ingest", "run", "grid_prices", "--env", "staging", check=False)
    assert (
        "stage 'staging' not found" in no_stage.stderr
        and "python -m infra apply --env staging" in no_stage.stderr
    )
