"""Acceptance: retries, failure records, malformed and oversized responses (fake API knobs)."""

from __future__ import annotations

import pytest
from chalice.test import Client

from mplat.ops.fake_api import FakeApi

from .test_sources import invoke_ingest

CSV_PATH = "/meter-readings.csv"


@pytest.fixture
def client(app_module, with_secrets, stack):
    with Client(app_module.app, stage_name="local", project_dir=str(stack.project)) as test_client:
        yield test_client


def only_failure(stack, source):
    [key] = stack.derived_keys(f"failures/{source}/")
    return stack.derived_json(key)


def test_500_twice_then_ok_succeeds_on_third_attempt(client, with_secrets, stack):
    with_secrets.set_knobs(fail_next=[500, 500])
    result = invoke_ingest(client, "meter_readings")
    assert result["written"] and result["requests"] == 3
    assert with_secrets.requests == [(CSV_PATH, 500), (CSV_PATH, 500), (CSV_PATH, 200)]
    assert len(stack.raw_keys("meter_readings/")) == 1
    assert stack.derived_keys("failures/") == []


def test_persistent_500_leaves_failure_record_and_nothing_in_raw(client, with_secrets, stack):
    with_secrets.set_knobs(fail_always=500)
    with pytest.raises(Exception, match=r"failed after 4 attempts: HTTP 500"):
        invoke_ingest(client, "meter_readings")
    assert stack.raw_keys() == []
    assert [status for _, status in with_secrets.requests] == [500] * 4
    record = only_failure(stack, "meter_readings")
    assert record["source"] == "meter_readings" and record["attempts"] == 4
    assert "HTTP 500" in record["error"] and record["error_type"] == "FetchError"


def test_429_waits_retry_after_then_succeeds(app_module, chalicelib, with_secrets, stack):
    from chalicelib.ingest import run_ingest
    from chalicelib.settings import Settings

    with_secrets.set_knobs(fail_next=[429], retry_after="3")
    slept: list[float] = []
    result = run_ingest("meter_readings", Settings.from_environ(), sleep=slept.append)
    assert slept == [3.0] and result.written and result.requests == 2


def test_other_4xx_is_not_retried(client, with_secrets, stack):
    with_secrets.set_knobs(fail_next=[403])
    with pytest.raises(Exception, match=r"answered HTTP 403 \(not retried\)"):
        invoke_ingest(client, "grid_prices")
    assert with_secrets.requests == [("/grid-prices", 403)]
    assert stack.raw_keys() == [] and only_failure(stack, "grid_prices")["attempts"] == 1


def test_malformed_json_writes_nothing_and_says_why(client, with_secrets, stack):
    with_secrets.set_knobs(malformed=True)
    with pytest.raises(Exception, match=r"grid_prices page 1 is not valid JSON"):
        invoke_ingest(client, "grid_prices")
    assert stack.raw_keys() == []
    assert "not valid JSON" in only_failure(stack, "grid_prices")["error"]


def test_ragged_csv_writes_nothing(client, with_secrets, stack):
    with_secrets.set_knobs(malformed=True)
    with pytest.raises(Exception, match=r"CSV line 98 has 4 fields, the header has 3"):
        invoke_ingest(client, "meter_readings")
    assert stack.raw_keys() == []


@pytest.mark.parametrize("omit_content_length", [False, True], ids=["declared-length", "streamed"])
def test_oversized_response_is_rejected_without_retry(client, with_secrets, stack, omit_content_length):
    with_secrets.set_knobs(
        oversize_bytes=2 * 1024 * 1024, omit_content_length=omit_content_length
    )  # cap: 1 MiB
    with pytest.raises(Exception, match=r"1048576-byte cap"):
        invoke_ingest(client, "meter_readings")
    assert len(with_secrets.requests) == 1
    assert stack.raw_keys() == [] and only_failure(stack, "meter_readings")["error_type"] == "PayloadError"


def test_timeouts_are_retried_then_fail(app_module, chalicelib, with_secrets, stack, monkeypatch):
    from chalicelib.ingest import run_ingest
    from chalicelib.settings import Settings

    monkeypatch.setenv("INGEST_TIMEOUT_SECONDS", "0.2")
    monkeypatch.setenv("INGEST_MAX_ATTEMPTS", "2")
    with_secrets.set_knobs(delay_seconds=0.6)
    with pytest.raises(Exception, match=r"failed after 2 attempts: timeout"):
        run_ingest("meter_readings", Settings.from_environ(), sleep=lambda s: None)
    assert stack.raw_keys() == [] and only_failure(stack, "meter_readings")["attempts"] == 2


def test_redirect_to_another_origin_is_refused(client, with_secrets, stack):
    with FakeApi() as elsewhere:  # a different port is a different origin
        with_secrets.set_knobs(redirect_to=f"{elsewhere.base_url}/grid-prices")
        with pytest.raises(Exception, match=r"redirected to another origin"):
            invoke_ingest(client, "grid_prices")
        assert elsewhere.requests == []  # the API key never reached the other server
    assert stack.raw_keys() == []
