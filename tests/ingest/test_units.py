"""Small pure pieces: which sources a stage deploys, Retry-After parsing, backoff bounds, typed records."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

APP_DIR = Path(__file__).resolve().parents[2] / "chalice_app"


@pytest.fixture
def lib(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.syspath_prepend(str(APP_DIR))
    for name in [n for n in sys.modules if n == "chalicelib" or n.startswith("chalicelib.")]:
        monkeypatch.delitem(sys.modules, name)
    yield importlib.import_module("chalicelib")
    for name in [n for n in sys.modules if n == "chalicelib" or n.startswith("chalicelib.")]:
        del sys.modules[name]


def write_config(tmp_path: Path, stages: dict) -> Path:
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps({"version": "2.0", "stages": stages}))
    return tmp_path


def test_stage_decides_which_sources_get_a_function(lib, tmp_path):
    from chalicelib import stage
    from chalicelib.errors import ConfigError

    registered = ["grid_prices", "meter_readings"]
    app_dir = write_config(
        tmp_path,
        {"dev": {"lambda_functions": {"ingest-grid-prices-function": {}, "transform-raw-function": {}}}},
    )
    assert stage.stage_source_names(registered, {"MPLAT_ENV": "dev"}, app_dir) == ["grid_prices"]
    # inside Lambda there is no .chalice/: every registered source stays importable
    assert stage.stage_source_names(registered, {"MPLAT_ENV": "dev"}, tmp_path / "nowhere") == registered
    (tmp_path / "bad").mkdir()
    bad = write_config(tmp_path / "bad", {"dev": {"lambda_functions": {"ingest-weather-function": {}}}})
    with pytest.raises(ConfigError, match=r"configures source\(s\) \['weather'\] that have no module"):
        stage.stage_source_names(registered, {"MPLAT_ENV": "dev"}, bad)
    with pytest.raises(ConfigError, match="RAW_BUCKET is not set"):
        stage.raw_bucket({})


def test_retry_after_and_backoff(lib):
    from chalicelib.httpclient import HttpClient, parse_retry_after
    from chalicelib.logs import RunLog
    from chalicelib.settings import HttpPolicy

    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    policy = HttpPolicy(backoff_base_seconds=1.0, backoff_max_seconds=5.0)
    top = HttpClient(policy, RunLog(), jitter=lambda: 1.0)
    assert [top.retry_delay(n, None) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]  # capped
    assert top.retry_delay(1, 60.0) == 5.0  # Retry-After honoured up to the cap
    assert HttpClient(policy, RunLog(), jitter=lambda: 0.25).retry_delay(3, None) == 1.0  # full jitter


def test_settings_errors_name_the_variable(lib):
    from chalicelib.errors import ConfigError
    from chalicelib.settings import Settings

    base = {
        "MPLAT_ENV": "dev",
        "RAW_BUCKET": "r",
        "DERIVED_BUCKET": "d",
        "SECRET_PREFIX": "mplat/dev/ingest/",
    }
    assert Settings.from_environ(base).secret_id("x") == "mplat/dev/ingest/x"
    with pytest.raises(ConfigError, match="missing environment variable\\(s\\) RAW_BUCKET"):
        Settings.from_environ({**base, "RAW_BUCKET": ""})
    with pytest.raises(ConfigError, match="INGEST_MAX_ATTEMPTS='many' is not a int"):
        Settings.from_environ({**base, "INGEST_MAX_ATTEMPTS": "many"})


def test_typed_records_and_utc(lib):
    from chalicelib.errors import PayloadError
    from chalicelib.sources import get

    meter = get("meter_readings")
    [record] = meter.records(b"meter_id,timestamp,kwh\nM-1,2026-03-29T03:00:00+02:00,1.25\n")
    assert record["timestamp"].isoformat() == "2026-03-29T01:00:00+00:00" and record["kwh"] == 1.25
    with pytest.raises(PayloadError, match="record 1: column 'timestamp' is not a valid timestamp"):
        meter.records(b"meter_id,timestamp,kwh\nM-1,2026-03-29T03:00:00,1.25\n")  # no offset: refused
    with pytest.raises(PayloadError, match="column 'kwh' is not a valid float"):
        meter.records(b"meter_id,timestamp,kwh\nM-1,2026-03-29T03:00:00Z,lots\n")
    with pytest.raises(PayloadError, match="lacks column"):
        meter.records(b"id,when\n1,2\n")
