"""Acceptance: both example sources land in raw with the layout and metadata; a second run adds nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from chalice.test import Client

from mplat.ops.fake_api import grid_price_records, meter_csv

from .conftest import SOURCES

SCHEDULED = {"source": "aws.events", "detail_type": "Scheduled Event", "detail": {}, "resources": []}


def invoke_ingest(client: Client, source: str) -> dict:
    return client.lambda_.invoke(
        f"ingest-{source.replace('_', '-')}-function", client.events.generate_cw_event(**SCHEDULED)
    ).payload


def test_both_sources_land_with_layout_and_metadata_and_rerun_adds_nothing(app_module, with_secrets, stack):
    today = dt.datetime.now(dt.UTC).date().isoformat()
    with Client(app_module.app, stage_name="local", project_dir=str(stack.project)) as client:
        first = {source: invoke_ingest(client, source) for source in SOURCES}
        keys_after_first = stack.raw_keys()
        second = {source: invoke_ingest(client, source) for source in SOURCES}

    assert len(keys_after_first) == 2
    assert stack.raw_keys() == keys_after_first  # second run: same payload, same key, nothing written
    assert all(result["written"] for result in first.values())
    assert not any(result["written"] for result in second.values())

    s3 = stack.s3()
    expected_records = {"grid_prices": 48, "meter_readings": 96}
    for source in SOURCES:
        [key] = [k for k in keys_after_first if k.startswith(f"{source}/")]
        match = re.fullmatch(rf"{source}/ingest_date={today}/([0-9a-f]{{64}})\.(json|csv)", key)
        assert match, key
        obj = s3.get_object(Bucket=stack.raw, Key=key)
        body = obj["Body"].read()
        assert hashlib.sha256(body).hexdigest() == match[1]  # the name is the payload's content hash
        assert obj["Metadata"]["source"] == source
        assert obj["Metadata"]["record-count"] == str(expected_records[source])
        fetched = dt.datetime.fromisoformat(obj["Metadata"]["fetched-at"])
        assert abs((dt.datetime.now(dt.UTC) - fetched).total_seconds()) < 120
        if source == "grid_prices":  # all 3 pages (20 + 20 + 8) joined, exactly the API's records
            assert json.loads(body) == grid_price_records(48)
            assert obj["ContentType"] == "application/json"
        else:
            assert body.decode() == meter_csv(96)
            assert obj["ContentType"] == "text/csv"
    # pagination really happened: three grid-price pages were requested per run
    assert [p for p, _ in with_secrets.requests].count("/grid-prices") == 6


def test_generated_functions_follow_the_stage(app_module):
    """One scheduled `ingest_<source>` per configured source, plus the dispatcher on the raw bucket."""
    app = app_module.app
    assert sorted(app.handler_map) == [
        "ingest-grid-prices-function",
        "ingest-meter-readings-function",
        "transform-raw-function",
    ]
    schedules = {
        e.name: e.schedule_expression for e in app.event_sources if hasattr(e, "schedule_expression")
    }
    assert schedules == {
        "ingest-grid-prices-function": "rate(1 hour)",
        "ingest-meter-readings-function": "rate(15 minutes)",
    }
    [s3_source] = [e for e in app.event_sources if hasattr(e, "bucket")]
    assert s3_source.bucket == "mplat-local-storage-raw-123456789012" and s3_source.prefix is None
