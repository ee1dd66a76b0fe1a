"""Acceptance on the local stack: `mplat dev up`, the image's start script against it, Chromium on top.

Ingests both example sources with `mplat ingest run`, counts them with `mplat transform backfill` (what the S3
trigger does in AWS), and checks the pipeline status page shows exactly what is in the raw bucket; then the
weather notebook goes from demo data to the EPW files `scripts/upload-sample-data` puts in the raw bucket.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from .running import NOTEBOOK_MARKERS, RunningServer, assert_no_cell_error, open_notebook, serve

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("server_browser")]

MPLAT = str(Path(sys.executable).with_name("mplat"))
SOURCES = ("grid_prices", "meter_readings")


class DevStack:
    def __init__(self, exports: dict[str, str], stage: dict[str, str], base_env: dict[str, str]) -> None:
        self.exports = exports
        self.raw_bucket = stage["RAW_BUCKET"]
        self.derived_bucket = stage["DERIVED_BUCKET"]
        self.env = {**base_env, **exports}

    def mplat(self, *args: str) -> str:
        result = subprocess.run([MPLAT, *args], env=self.env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, f"mplat {' '.join(args)} failed:\n{result.stderr}"
        return result.stdout

    def s3(self):
        return boto3.client(
            "s3",
            endpoint_url=self.exports["AWS_ENDPOINT_URL"],
            region_name=self.exports["AWS_DEFAULT_REGION"],
            aws_access_key_id=self.exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.exports["AWS_SECRET_ACCESS_KEY"],
        )


def _read_exports(process: subprocess.Popen[str], timeout: float = 120) -> dict[str, str]:
    exports: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"mplat dev up exited early ({process.wait()}): {process.stderr.read()}")
        line = line.strip()
        if line == "ready":
            return exports
        name, value = line.removeprefix("export ").split("=", 1)
        exports[name] = value
    raise AssertionError("mplat dev up did not print `ready` in time")


@pytest.fixture(scope="module")
def dev_stack(repo_root: Path, tmp_path_factory) -> Iterator[DevStack]:
    workdir = tmp_path_factory.mktemp("dev_stack")
    # infra apply writes the Chalice stage `local`: into a copy, so the repository stays untouched.
    app = workdir / "chalice_app"
    shutil.copytree(
        repo_root / "chalice_app", app, ignore=shutil.ignore_patterns("__pycache__", "deployments")
    )
    base_env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    base_env["MPLAT_CHALICE_APP"] = str(app)
    process = subprocess.Popen(
        [MPLAT, "dev", "up", "--port-moto", "0", "--port-api", "0"],
        cwd=repo_root,
        env=base_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        exports = _read_exports(process)
        config = json.loads((app / ".chalice" / "config.json").read_text())
        yield DevStack(exports, config["stages"]["local"]["environment_variables"], base_env)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture(scope="module")
def stack_server(dev_stack: DevStack, tmp_path_factory) -> Iterator[RunningServer]:
    workdir = tmp_path_factory.mktemp("stack_server")
    env = {
        **dev_stack.env,
        "PYTHON": sys.executable,
        "MPLAT_ENV": "local",
        "RAW_BUCKET": dev_stack.raw_bucket,
        "DERIVED_BUCKET": dev_stack.derived_bucket,
        "SCRATCH_DIR": str(workdir / "scratch"),
    }
    with serve(env, workdir, "--auth", "alb") as running:
        yield running


def test_health_answers_200(stack_server: RunningServer) -> None:
    with urllib.request.urlopen(f"{stack_server.url}/health", timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"status": "healthy"}


@pytest.mark.parametrize("notebook", sorted(NOTEBOOK_MARKERS))
def test_each_notebook_renders(stack_server: RunningServer, page, notebook: str) -> None:
    open_notebook(page, stack_server, notebook, NOTEBOOK_MARKERS[notebook])


def test_pipeline_status_shows_what_was_ingested(
    dev_stack: DevStack, stack_server: RunningServer, page
) -> None:
    for source in SOURCES:
        dev_stack.mplat("ingest", "run", source, "--env", "local")
        dev_stack.mplat("transform", "backfill", "--prefix", f"{source}/", "--env", "local")

    # The truth, from the raw bucket itself: objects per source and the records their metadata declares.
    s3 = dev_stack.s3()
    objects: Counter[str] = Counter()
    records: Counter[str] = Counter()
    for source in SOURCES:
        for item in s3.list_objects_v2(Bucket=dev_stack.raw_bucket, Prefix=f"{source}/").get("Contents", []):
            objects[source] += 1
            metadata = s3.head_object(Bucket=dev_stack.raw_bucket, Key=item["Key"])["Metadata"]
            records[source] += int(metadata["record-count"])
    assert all(objects[source] > 0 for source in SOURCES)

    open_notebook(page, stack_server, "pipeline_status.py", f"{len(SOURCES)} source(s) in")
    for source in SOURCES:
        row = page.locator(f'tr[data-source="{source}"]')
        assert row.locator('td[data-field="objects"]').inner_text() == str(objects[source])
        assert row.locator('td[data-field="records"]').inner_text() == str(records[source])
        assert row.locator('td[data-field="failures"]').inner_text() == "0"
    assert_no_cell_error(page)


def _monthly_ghi(epw_text: str) -> list[float]:
    """Reference: monthly global horizontal irradiation (kWh/m²) read with the csv module."""
    totals = [0.0] * 12
    for row in list(csv.reader(io.StringIO(epw_text)))[8:]:
        totals[int(row[1]) - 1] += float(row[13]) / 1000
    return totals


def test_weather_processing_goes_from_demo_to_the_uploaded_file(
    dev_stack: DevStack, stack_server: RunningServer, page, repo_root: Path
) -> None:
    open_notebook(page, stack_server, "weather_processing.py", "Monthly statistics")
    page.get_by_text("Using demo data").first.wait_for()

    upload = subprocess.run(
        [str(repo_root / "scripts" / "upload-sample-data"), "--env", "local"],
        env={**dev_stack.env, "MPLAT_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert upload.returncode == 0, upload.stderr
    listing = dev_stack.s3().list_objects_v2(Bucket=dev_stack.raw_bucket, Prefix="onprem/sample/weather/")
    keys = sorted(item["Key"] for item in listing.get("Contents", []))
    assert keys, upload.stdout

    open_notebook(page, stack_server, "weather_processing.py", "Saved to derived")
    assert page.get_by_text("Using demo data").count() == 0

    stem = keys[0].rsplit("/", 1)[-1].removesuffix(".gz").removesuffix(".epw")
    body = dev_stack.s3().get_object(
        Bucket=dev_stack.derived_bucket, Key=f"analysis/weather/{stem}/monthly.csv"
    )
    rows = list(csv.DictReader(io.StringIO(body["Body"].read().decode())))
    assert [int(row["month"]) for row in rows] == list(range(1, 13))
    assert sum(int(row["hours"]) for row in rows) == 8760
