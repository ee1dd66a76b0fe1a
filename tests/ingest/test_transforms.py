"""Acceptance: an S3 event on a raw object updates the counts; a backfill over 1,000 objects matches the truth;
normalize writes a tidy CSV in UTC."""

from __future__ import annotations

import csv
import io
import json
import random

from chalice.test import Client

from .conftest import ACCOUNT
from .test_sources import invoke_ingest


def test_s3_event_on_raw_object_updates_counts_and_normalizes(app_module, with_secrets, stack):
    with Client(app_module.app, stage_name="local", project_dir=str(stack.project)) as client:
        result = invoke_ingest(client, "meter_readings")
        key, date = result["key"], result["key"].split("ingest_date=")[1][:10]
        event = client.events.generate_s3_event(bucket=stack.raw, key=key)
        assert client.lambda_.invoke("transform-raw-function", event).payload["transforms"] == [
            "count",
            "normalize",
        ]
        counts = stack.derived_json(f"counts/meter_readings/{date}.json")
        size = stack.s3().head_object(Bucket=stack.raw, Key=key)["ContentLength"]
        assert {k: counts[k] for k in ("source", "date", "objects", "records", "bytes")} == {
            "source": "meter_readings",
            "date": date,
            "objects": 1,
            "records": 96,
            "bytes": size,
        }
        assert counts["updated_at"].endswith("Z")
        # the same event again (S3 delivers at least once) leaves the counts unchanged
        client.lambda_.invoke("transform-raw-function", event)
        assert stack.derived_json(f"counts/meter_readings/{date}.json")["objects"] == 1

        # keys that are not raw source objects (on-prem uploads) are ignored
        stack.s3().put_object(Bucket=stack.raw, Key="onprem/sample/weather/x.epw", Body=b"x")
        ignored = client.events.generate_s3_event(bucket=stack.raw, key="onprem/sample/weather/x.epw")
        assert client.lambda_.invoke("transform-raw-function", ignored).payload["transforms"] == []

    [normalized] = stack.derived_keys("normalized/meter_readings/")
    assert normalized == f"normalized/meter_readings/ingest_date={date}/{key.rsplit('/', 1)[1][:-4]}.csv"
    rows = list(
        csv.DictReader(
            io.StringIO(stack.s3().get_object(Bucket=stack.derived, Key=normalized)["Body"].read().decode())
        )
    )
    assert len(rows) == 96
    # the API sends local time (+01:00); the tidy CSV holds UTC
    assert rows[0] == {"meter_id": "M-001", "timestamp": "2026-01-01T00:00:00Z", "kwh": "0.7"}
    assert stack.derived_keys("tmp/") == []  # staging objects are removed after publishing


def seed_raw_objects(bucket: str, objects: list[tuple[str, bytes, int]]) -> None:
    """Write objects straight into the moto server's backend (it runs in this process, see tests/conftest.py):
    1,000 HTTP puts would cost the test 10-30 s on a busy machine, and the writes are not what is under test."""
    from moto.s3.models import s3_backends

    backend = s3_backends[ACCOUNT]["aws"]
    for key, body, records in objects:
        backend.put_object(bucket, key, body).set_metadata({"x-amz-meta-record-count": str(records)})


def test_backfill_over_1000_objects_gives_true_counts(stack, tmp_path):
    """1,000 raw objects over 3 sources x 4 days, with random sizes and record counts, then the CLI backfill."""
    rng = random.Random(7)
    s3 = stack.s3()
    truth: dict[tuple[str, str], dict[str, int]] = {}
    objects = []
    for i in range(1000):
        source = ("grid_prices", "meter_readings", "weather_api")[i % 3]
        date = f"2026-03-0{1 + i % 4}"
        records = rng.randint(0, 500)
        body = json.dumps({"i": i, "pad": "x" * rng.randint(0, 300)}).encode()
        key = f"{source}/ingest_date={date}/{i:064x}.json"
        objects.append((key, body, records))
        t = truth.setdefault((source, date), {"objects": 0, "records": 0, "bytes": 0})
        t["objects"] += 1
        t["records"] += records
        t["bytes"] += len(body)
    s3.put_object(Bucket=stack.raw, Key="grid_prices/README.txt", Body=b"not a raw object")  # must not count

    seed_raw_objects(stack.raw, objects)

    from .test_cli import mplat

    out = mplat("transform", "backfill", "--prefix", "", "--env", "local", "--only", "count")
    assert json.loads(out.stdout) == {"prefix": "", "objects": 1001, "units": {"count": 12}}
    for (source, date), expected in truth.items():
        counts = stack.derived_json(f"counts/{source}/{date}.json")
        assert {k: counts[k] for k in expected} == expected, (source, date)
    assert len(stack.derived_keys("counts/")) == 12
