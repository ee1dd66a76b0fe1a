"""Acceptance: missing or malformed secrets give a clear error naming the secret id; no secret value is logged."""

from __future__ import annotations

import json

import boto3
import pytest
from chalice.test import Client

from .conftest import SOURCES, store_secrets
from .test_sources import invoke_ingest


def test_missing_secret_names_the_secret_id(app_module, fake_api, stack):
    with (
        Client(app_module.app, stage_name="local", project_dir=str(stack.project)) as client,
        pytest.raises(Exception, match=r"secret 'mplat/local/ingest/grid_prices' does not exist"),
    ):
        invoke_ingest(client, "grid_prices")
    assert stack.raw_keys() == []
    [failure] = stack.derived_keys("failures/grid_prices/")
    assert "mplat/local/ingest/grid_prices" in stack.derived_json(failure)["error"]


@pytest.mark.parametrize(
    ("secret_string", "expected"),
    [
        ("not json", r"is not valid JSON"),
        ('["a list"]', r"is not a JSON object"),
        ('{"url": "http://127.0.0.1:9/x", "username": "u"}', r"lacks field\(s\) password"),
    ],
)
def test_malformed_secret_names_the_secret_id_and_fields(app_module, stack, secret_string, expected):
    boto3.client("secretsmanager").create_secret(
        Name="mplat/local/ingest/meter_readings", SecretString=secret_string
    )
    with (
        Client(app_module.app, stage_name="local", project_dir=str(stack.project)) as client,
        pytest.raises(Exception, match=rf"secret 'mplat/local/ingest/meter_readings' {expected}"),
    ):
        invoke_ingest(client, "meter_readings")
    assert stack.raw_keys() == []


def test_no_secret_value_in_any_log_line_or_failure_record(app_module, fake_api, stack, capfd):
    store_secrets(fake_api)
    secret_values = [fake_api.credentials.api_key, fake_api.credentials.password]
    with Client(app_module.app, stage_name="local", project_dir=str(stack.project)) as client:
        for source in SOURCES:  # success, retries, then failures whose messages pass through the logs
            invoke_ingest(client, source)
        fake_api.set_knobs(fail_next=[500, 401, 500, 500, 500, 500])
        for source in SOURCES:
            with pytest.raises(Exception):  # noqa: B017 (any failure will do; we look at the output)
                invoke_ingest(client, source)
    out, err = capfd.readouterr()
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) >= 8
    structured = [json.loads(line) for line in lines if line.startswith("{")]
    assert {"ingest started", "ingest finished", "request failed, retrying", "ingest failed"} <= {
        r["message"] for r in structured
    }
    failures = [json.dumps(stack.derived_json(k)) for k in stack.derived_keys("failures/")]
    assert len(failures) == 2
    for text in [*lines, *failures]:
        for value in secret_values:
            assert value not in text
