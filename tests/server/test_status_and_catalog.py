"""Pipeline status and the weather catalog against moto, with objects laid out as the contract says."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from mplat.server.catalog import EPW_PREFIX, load_source, weather_catalog
from mplat.server.notebook_env import NotebookEnv
from mplat.server.status import failures_table_html, read_pipeline_status, summary_table_html
from mplat.server.storage import BucketUnavailable, list_objects, s3_client, write_object

from .running import DERIVED_BUCKET, RAW_BUCKET


@pytest.fixture
def s3(aws_env: str):
    client = boto3.client("s3")
    for bucket in (RAW_BUCKET, DERIVED_BUCKET):
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return client


def _count(s3, source: str, date: str, objects: int, records: int) -> None:
    document = {
        "source": source,
        "date": date,
        "objects": objects,
        "records": records,
        "bytes": 100 * objects,
        "updated_at": f"{date}T23:00:00Z",
    }
    s3.put_object(Bucket=DERIVED_BUCKET, Key=f"counts/{source}/{date}.json", Body=json.dumps(document))


def test_status_sums_days_and_keeps_the_newest_failures(s3) -> None:
    _count(s3, "grid_prices", "2026-11-19", 4, 400)
    _count(s3, "grid_prices", "2026-11-21", 1, 96)
    _count(s3, "grid_prices", "2026-11-20", 2, 192)
    for minute in range(7):
        failure = {"source": "meter_readings", "error": f"timeout {minute}", "attempts": 4}
        s3.put_object(
            Bucket=DERIVED_BUCKET,
            Key=f"failures/meter_readings/20261121T0{minute}0000Z.json",
            Body=json.dumps(failure),
        )

    status = read_pipeline_status(s3_client(), DERIVED_BUCKET, recent_failures=3)
    assert [source.source for source in status.sources] == ["grid_prices", "meter_readings"]
    grid, meters = status.sources
    assert grid.latest is not None and grid.latest.date == "2026-11-21"
    assert (grid.objects, grid.records, grid.bytes, len(grid.days)) == (7, 688, 700, 3)
    assert grid.failure_count == 0
    assert meters.latest is None and meters.failure_count == 7
    assert [failure.error for failure in meters.failures] == ["timeout 6", "timeout 5", "timeout 4"]
    assert status.problems == ()

    table = summary_table_html(status)
    assert '<tr data-source="grid_prices"><td data-field="source">grid_prices</td>' in table
    assert '<td data-field="objects">7</td><td data-field="records">688</td>' in table
    assert "timeout 6" in failures_table_html(status)


def test_unreadable_count_files_are_reported_by_key(s3) -> None:
    _count(s3, "grid_prices", "2026-11-21", 1, 10)
    s3.put_object(Bucket=DERIVED_BUCKET, Key="counts/grid_prices/2026-11-22.json", Body=b"{not json")
    s3.put_object(Bucket=DERIVED_BUCKET, Key="counts/grid_prices/2026-11-23.json", Body=b'{"date": "x"}')
    status = read_pipeline_status(s3_client(), DERIVED_BUCKET)
    assert status.sources[0].objects == 1
    assert len(status.problems) == 2
    assert status.problems[0].startswith("counts/grid_prices/2026-11-22.json: not valid JSON")
    assert status.problems[1].startswith("counts/grid_prices/2026-11-23.json: missing or non-numeric")


def test_html_escapes_values(s3) -> None:
    s3.put_object(
        Bucket=DERIVED_BUCKET,
        Key="failures/evil/20261121T000000Z.json",
        Body=json.dumps({"error": "<script>alert(1)</script>", "attempts": 1}),
    )
    html = failures_table_html(read_pipeline_status(s3_client(), DERIVED_BUCKET))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_missing_bucket_and_unreachable_endpoint_raise_bucket_unavailable(aws_env: str, monkeypatch) -> None:
    with pytest.raises(BucketUnavailable, match="NoSuchBucket"):
        list_objects(s3_client(), "does-not-exist")
    with pytest.raises(BucketUnavailable, match="no bucket configured"):
        list_objects(s3_client(), None)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(BucketUnavailable, match="cannot list"):
        list_objects(s3_client(), RAW_BUCKET)


def _env(tmp_path: Path, sample_dir: Path, raw: str | None = RAW_BUCKET) -> NotebookEnv:
    return NotebookEnv.from_environ(
        {
            "RAW_BUCKET": raw or "",
            "DERIVED_BUCKET": DERIVED_BUCKET,
            "SCRATCH_DIR": str(tmp_path),
            "SAMPLE_DATA_DIR": str(sample_dir),
        }
    )


def test_catalog_falls_back_to_samples_then_lists_epw_objects(s3, tmp_path: Path, repo_root: Path) -> None:
    samples = repo_root / "data" / "examples"
    env = _env(tmp_path, samples)
    empty = weather_catalog(env, s3_client())
    assert empty.is_demo and "no EPW file under onprem/" in (empty.demo_reason or "")
    assert {Path(source.location).name for source in empty.sources} == {
        path.name for path in samples.glob("*.epw.gz")
    }
    sample = empty.sources[0]
    assert load_source(sample, env, s3_client()) == Path(sample.location).read_bytes()

    s3.put_object(Bucket=RAW_BUCKET, Key="grid_prices/ingest_date=2026-11-21/abc.json", Body=b"{}")
    s3.put_object(Bucket=RAW_BUCKET, Key=f"{EPW_PREFIX}sample/weather/a.epw", Body=b"EPW")
    s3.put_object(Bucket=RAW_BUCKET, Key=f"{EPW_PREFIX}site-2/notes.txt", Body=b"no")
    found = weather_catalog(env, s3_client())
    assert not found.is_demo
    assert [(source.kind, source.location, source.size) for source in found.sources] == [
        ("s3", "onprem/sample/weather/a.epw", 3)
    ]
    assert load_source(found.sources[0], env, s3_client()) == b"EPW"


def test_catalog_without_a_bucket_is_demo(aws_env: str, tmp_path: Path, repo_root: Path) -> None:
    catalog = weather_catalog(_env(tmp_path, repo_root / "data" / "examples", raw=None), s3_client())
    assert catalog.is_demo and "raw bucket unavailable" in (catalog.demo_reason or "")
    assert catalog.sources


def test_write_object_reports_where_it_wrote(s3) -> None:
    url = write_object(s3_client(), DERIVED_BUCKET, "analysis/x.csv", b"a,b\n", "text/csv")
    assert url == f"s3://{DERIVED_BUCKET}/analysis/x.csv"
    head = s3.head_object(Bucket=DERIVED_BUCKET, Key="analysis/x.csv")
    assert head["ContentType"] == "text/csv" and head["ContentLength"] == 4
