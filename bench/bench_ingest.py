"""Ingestion: 10,000 records through `run_ingest`, a 1,000-object backfill of counts, cold import time of the
handler modules, and the deployment zip size.

AWS is a moto server in its own process; the API is the fake API (`mplat.ops.fake_api`) on 127.0.0.1.
Baselines measured in the same run: the same pages fetched with bare urllib and stored with one put (no retries,
validation or typing); the backfill with one worker (no parallel metadata reads); `import boto3` alone;
the 5 MB zip limit.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "chalice_app"
RAW = "mplat-bench-storage-raw-123456789012"
DERIVED = "mplat-bench-storage-derived-123456789012"
RECORDS = 10_000
OBJECTS = 1_000
STAGE_ENV = {
    "MPLAT_ENV": "bench",
    "RAW_BUCKET": RAW,
    "DERIVED_BUCKET": DERIVED,
    "SECRET_PREFIX": "mplat/bench/ingest/",
}
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-central-1",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(endpoint + "/moto-api/data.json", timeout=1).read()
            return process, endpoint
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto_server did not start")


def _timed(fn):  # noqa: ANN001, ANN202
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _ingest_section(s3, api) -> list[str]:  # noqa: ANN001
    from chalicelib.ingest import run_ingest
    from chalicelib.logs import RunLog
    from chalicelib.settings import Settings

    api.set_knobs(grid_records=RECORDS, page_size=500)
    settings = Settings.from_environ()
    quiet = RunLog(stream=open(os.devnull, "w"))  # noqa: SIM115
    seconds, result = _timed(lambda: run_ingest("grid_prices", settings, log=quiet))
    again, repeat = _timed(lambda: run_ingest("grid_prices", settings, log=quiet))
    assert result.records == RECORDS and result.written and not repeat.written

    def bare() -> None:  # baseline: the same pages, no checks, one put
        records, cursor = [], None
        while True:
            url = api.secrets()["grid_prices"]["url"] + (f"?cursor={cursor}" if cursor else "")
            request = urllib.request.Request(url, headers={"X-Api-Key": api.credentials.api_key})
            page = json.loads(urllib.request.urlopen(request).read())
            records += page["data"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        s3.put_object(Bucket=RAW, Key="baseline/records.json", Body=json.dumps(records).encode())

    baseline, _ = _timed(bare)
    return [
        f"| ingest {RECORDS:,} records (20 pages), cold: creates its boto3 clients | {seconds:.2f} s | {RECORDS / seconds:,.0f} records/s |",
        f"| again, warm: same payload, conditional put writes nothing | {again:.2f} s | |",
        f"| baseline: bare urllib fetch + one put, no checks | {baseline:.2f} s | {RECORDS / baseline:,.0f} records/s |",
    ]


def _backfill_section(s3) -> list[str]:  # noqa: ANN001
    from chalicelib import transforms
    from chalicelib.logs import RunLog
    from chalicelib.settings import Settings

    def put(i: int) -> None:
        key = f"bench_source/ingest_date=2026-03-0{1 + i % 4}/{i:064x}.json"
        s3.put_object(Bucket=RAW, Key=key, Body=b"{}", Metadata={"record-count": str(i % 50)})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(OBJECTS)))
    keys = [
        k["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=RAW, Prefix="bench_source/")
        for k in page.get("Contents", [])
    ]
    ctx = transforms.Context(Settings.from_environ(), s3, RunLog(stream=open(os.devnull, "w")))  # noqa: SIM115
    seconds, _ = _timed(lambda: transforms.backfill(ctx, keys, ["count"]))
    import chalicelib.storage as storage

    workers = storage.HEAD_WORKERS
    storage.HEAD_WORKERS = 1
    try:
        sequential, _ = _timed(lambda: transforms.backfill(ctx, keys, ["count"], workers=1))
    finally:
        storage.HEAD_WORKERS = workers
    truth = sum(i % 50 for i in range(OBJECTS))
    got = sum(
        json.loads(
            s3.get_object(Bucket=DERIVED, Key=f"counts/bench_source/2026-03-0{d}.json")["Body"].read()
        )["records"]
        for d in range(1, 5)
    )
    assert got == truth, (got, truth)
    return [
        f"| backfill counts over {OBJECTS:,} objects (4 days, {workers} threads) | {seconds:.2f} s | "
        f"{OBJECTS / seconds:,.0f} objects/s |",
        f"| baseline: same backfill, 1 thread | {sequential:.2f} s | {OBJECTS / sequential:,.0f} objects/s |",
    ]


def _import_section() -> list[str]:
    env = {**os.environ, **STAGE_ENV, "PYTHONPATH": str(APP)}

    def cold(code: str) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=APP)
            best = min(best, time.perf_counter() - start)
        return best

    bare, boto, app = cold("pass"), cold("import boto3"), cold("import app")
    return [
        f"| cold start: python + `import app` (all handler modules) | {app * 1000:.0f} ms | |",
        f"| baseline: python + `import boto3` | {boto * 1000:.0f} ms | app adds {(app - boto) * 1000:.0f} ms |",
        f"| baseline: bare python | {bare * 1000:.0f} ms | |",
    ]


def _zip_section() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "app"
        shutil.copytree(APP, project, ignore=shutil.ignore_patterns("__pycache__", "deployments", "deployed"))
        config = json.loads((project / ".chalice" / "config.json").read_text())
        config["stages"]["bench"] = {
            "environment_variables": STAGE_ENV,
            "manage_iam_role": False,
            "iam_role_arn": "arn:aws:iam::123456789012:role/bench",
        }
        (project / ".chalice" / "config.json").write_text(json.dumps(config))
        env = {**os.environ, **AWS_ENV, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
        subprocess.run(
            [
                str(Path(sys.executable).with_name("chalice")),
                "package",
                "--stage",
                "bench",
                "--pkg-format",
                "terraform",
                str(Path(tmp) / "out"),
            ],
            cwd=project,
            env=env,
            check=True,
            capture_output=True,
        )
        size = (Path(tmp) / "out" / "deployment.zip").stat().st_size
    return [
        f"| deployment zip (`chalice package`) | {size / 1024:.0f} KiB | limit 5,120 KiB ({size / 5 / 2**20:.1%}) |"
    ]


def run() -> str:
    import boto3

    from mplat.ops.fake_api import FakeApi

    moto, endpoint = _start_moto()
    saved = dict(os.environ)
    os.environ.update({**AWS_ENV, **STAGE_ENV, "AWS_ENDPOINT_URL": endpoint})
    sys.path.insert(0, str(APP))
    try:
        s3 = boto3.client("s3")
        for bucket in (RAW, DERIVED):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        with FakeApi() as api:
            boto3.client("secretsmanager").create_secret(
                Name="mplat/bench/ingest/grid_prices", SecretString=json.dumps(api.secrets()["grid_prices"])
            )
            rows = _ingest_section(s3, api)
        rows += _backfill_section(s3)
    finally:
        moto.terminate()
        moto.wait()
        os.environ.clear()
        os.environ.update(saved)
        sys.path.remove(str(APP))
    rows += _import_section()
    rows += _zip_section()
    return "\n".join(
        [
            "## Ingestion",
            "",
            "moto server (own process) and the fake API on 127.0.0.1; wall-clock times of one run.",
            "",
            "| measurement | value | note |",
            "| --- | --- | --- |",
            *rows,
        ]
    )


if __name__ == "__main__":
    print(run())
