"""Acceptance in Chromium: the image's start script serving the analysis notebooks against moto."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from .running import (
    DERIVED_BUCKET,
    NOTEBOOK_MARKERS,
    RAW_BUCKET,
    RunningServer,
    assert_no_cell_error,
    open_notebook,
    serve,
    server_environment,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("server_browser")]

AMSTERDAM = "NLD_Amsterdam062400_IWEC.epw"
PIEDMONT = "tmy_45.000_8.000_2005_2023.epw"
# Room for the Amsterdam file and its hourly table, not for a second weather file on top.
SCRATCH_LIMIT = 2_500_000


@pytest.fixture(scope="module")
def server(moto_server: str, sample_weather_dir: Path, tmp_path_factory) -> Iterator[RunningServer]:
    workdir = tmp_path_factory.mktemp("server")
    env = server_environment(
        moto_server,
        {
            "SCRATCH_DIR": str(workdir / "scratch"),
            "SCRATCH_LIMIT_BYTES": str(SCRATCH_LIMIT),
            "SAMPLE_DATA_DIR": str(sample_weather_dir),
            "LONG_ANALYSIS_PATIENCE_SECONDS": "0.3",
        },
    )
    with serve(env, workdir, "--auth", "alb") as running:
        yield running


@pytest.fixture
def s3(aws_env: str):
    client = boto3.client("s3")
    for bucket in (RAW_BUCKET, DERIVED_BUCKET):
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return client


def test_health_answers_200(server: RunningServer) -> None:
    with urllib.request.urlopen(f"{server.url}/health", timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"status": "healthy"}


def test_gallery_lists_every_analysis_notebook(server: RunningServer, page, repo_root: Path) -> None:
    page.goto(server.url)
    for notebook in sorted((repo_root / "notebooks" / "analysis").glob("*.py")):
        page.get_by_text(notebook.stem.replace("_", " "), exact=False).first.wait_for()
    assert set(NOTEBOOK_MARKERS) == {
        path.name for path in (repo_root / "notebooks" / "analysis").glob("*.py")
    }


def _put_counts(s3, source: str, date: str, objects: int, records: int, size: int) -> None:
    for index in range(objects):
        s3.put_object(
            Bucket=RAW_BUCKET,
            Key=f"{source}/ingest_date={date}/{index:064x}.json",
            Body=b"{}",
            Metadata={
                "source": source,
                "fetched-at": f"{date}T06:00:00Z",
                "record-count": str(records // objects),
            },
        )
    document = {"source": source, "date": date, "objects": objects, "records": records, "bytes": size,
                "updated_at": f"{date}T06:00:05Z"}  # fmt: skip
    s3.put_object(Bucket=DERIVED_BUCKET, Key=f"counts/{source}/{date}.json", Body=json.dumps(document))


def test_pipeline_status_shows_exact_counts(server: RunningServer, s3, page) -> None:
    _put_counts(s3, "grid_prices", "2026-11-20", objects=2, records=96, size=2048)
    _put_counts(s3, "grid_prices", "2026-11-21", objects=3, records=144, size=3072)
    _put_counts(s3, "meter_readings", "2026-11-21", objects=1, records=500, size=40_000)
    failure = {"source": "meter_readings", "error": "HTTP 500 from the meter endpoint", "attempts": 3}
    s3.put_object(
        Bucket=DERIVED_BUCKET, Key="failures/meter_readings/20261121T070000Z.json", Body=json.dumps(failure)
    )

    open_notebook(page, server, "pipeline_status.py", "2 source(s) in")

    def cell(source: str, field: str) -> str:
        return page.locator(f'tr[data-source="{source}"] td[data-field="{field}"]').inner_text()

    assert cell("grid_prices", "latest_date") == "2026-11-21"
    assert cell("grid_prices", "objects") == "5"
    assert cell("grid_prices", "records") == "240"
    assert cell("grid_prices", "days") == "2"
    assert cell("grid_prices", "failures") == "0"
    assert cell("meter_readings", "objects") == "1"
    assert cell("meter_readings", "records") == "500"
    assert cell("meter_readings", "failures") == "1"
    page.get_by_text("HTTP 500 from the meter endpoint").wait_for()
    assert_no_cell_error(page)


def _monthly_ghi_reference(epw: Path) -> list[float]:
    """Monthly global horizontal irradiation (kWh/m²) straight from the file with the csv module."""
    totals = [0.0] * 12
    with epw.open(newline="") as handle:
        for row in list(csv.reader(handle))[8:]:
            totals[int(row[1]) - 1] += float(row[13]) / 1000
    return totals


def test_weather_processing_demo_then_real_file(server: RunningServer, s3, page, shared_data: Path) -> None:
    open_notebook(page, server, "weather_processing.py", "Monthly statistics")
    page.get_by_text("Using demo data").first.wait_for()
    assert s3.list_objects_v2(Bucket=DERIVED_BUCKET).get("KeyCount", 0) == 0

    epw = shared_data / "weather" / AMSTERDAM
    s3.put_object(Bucket=RAW_BUCKET, Key=f"onprem/sample/weather/{AMSTERDAM}", Body=epw.read_bytes())

    open_notebook(page, server, "weather_processing.py", "Saved to derived")
    assert page.get_by_text("Using demo data").count() == 0
    page.get_by_text("AMSTERDAM, NLD").first.wait_for()

    stem = AMSTERDAM.removesuffix(".epw")
    monthly = s3.get_object(Bucket=DERIVED_BUCKET, Key=f"analysis/weather/{stem}/monthly.csv")["Body"].read()
    rows = list(csv.DictReader(io.StringIO(monthly.decode())))
    assert [int(row["month"]) for row in rows] == list(range(1, 13))
    assert [float(row["ghi_kwh_m2"]) for row in rows] == pytest.approx(_monthly_ghi_reference(epw), abs=1e-3)
    daily = s3.get_object(Bucket=DERIVED_BUCKET, Key=f"analysis/weather/{stem}/daily.csv")["Body"].read()
    assert len(daily.decode().splitlines()) == 1 + 365
    assert_no_cell_error(page)


def test_long_analysis_tells_the_user_to_wait(server: RunningServer, s3, page) -> None:
    open_notebook(page, server, "orientation_sweep.py", "Run orientation sweep")
    # The 1° grid: ~2.6 s of work on an idle machine (docs/benchmarks.md), so the notice (after 0.3 s here)
    # stays on screen long enough to be seen; the 2° grid could finish before the page showed it.
    page.get_by_role("combobox", name="Grid step").select_option(label="1°")
    page.get_by_role("button", name="Run orientation sweep").click()
    page.get_by_text("Analysis taking longer than expected, please wait…").first.wait_for()
    heading = page.get_by_text("Best orientation: tilt").first
    heading.wait_for(timeout=120_000)
    assert page.get_by_text("Analysis taking longer than expected").count() == 0
    page.get_by_text("Sweep finished in").first.wait_for()
    assert_no_cell_error(page)


def test_scratch_staging_keeps_under_the_limit(server: RunningServer, s3, page, shared_data: Path) -> None:
    for name in (AMSTERDAM, PIEDMONT):
        body = (shared_data / "weather" / name).read_bytes()
        s3.put_object(Bucket=RAW_BUCKET, Key=f"onprem/sample/weather/{name}", Body=body)
    for leftover in server.scratch_dir.rglob("*"):
        if leftover.is_file():
            leftover.unlink()

    open_notebook(page, server, "scratch_staging.py", "Stage into scratch")
    page.get_by_role("button", name="Stage into scratch").click()
    page.get_by_text("Staged:").first.wait_for()
    staged = server.scratch_dir / "inputs" / AMSTERDAM
    assert staged.read_bytes() == (shared_data / "weather" / AMSTERDAM).read_bytes()
    hourly = server.scratch_dir / "intermediate" / f"{AMSTERDAM.removesuffix('.epw')}.hourly.csv"
    assert len(hourly.read_text().splitlines()) == 1 + 8760

    page.get_by_role("combobox", name="Weather file to stage").select_option(
        label=f"onprem/sample/weather/{PIEDMONT}"
    )
    page.get_by_role("button", name="Stage into scratch").click()
    page.get_by_text("Not staged").first.wait_for()
    assert not (server.scratch_dir / "inputs" / PIEDMONT).exists()
    assert (
        sum(path.stat().st_size for path in server.scratch_dir.rglob("*") if path.is_file()) <= SCRATCH_LIMIT
    )


def test_a_bad_setting_is_shown_with_its_name(
    moto_server: str, sample_weather_dir: Path, tmp_path: Path, page
) -> None:
    env = server_environment(
        moto_server,
        {
            "SCRATCH_DIR": str(tmp_path / "scratch"),
            "SCRATCH_LIMIT_BYTES": "2GB",
            "SAMPLE_DATA_DIR": str(sample_weather_dir),
        },
    )
    with serve(env, tmp_path, "--auth", "alb") as running:
        page.goto(f"{running.url}/?file=scratch_staging.py")
        page.get_by_text(
            "Configuration error: SCRATCH_LIMIT_BYTES='2GB' is not a whole number"
        ).first.wait_for()
        assert page.get_by_text("An internal error").count() == 0
