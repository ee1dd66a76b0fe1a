"""The Lambdas' memory fits the largest payload ingestion accepts; a run cannot take more than that in total.

The peak is measured, not guessed: each source fetches a payload just under `INGEST_MAX_TOTAL_BYTES` from the fake
API, `run_ingest` and then the `normalize` transform run under `tracemalloc`, and the peak plus the resident size
of a fresh Python with boto3 loaded (measured in a child process) must fit `lambda_memory_size` with headroom.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tracemalloc

import pytest

from .conftest import ENV, store_secrets

MIB = 1024 * 1024
HEADROOM = 1.25  # the measured need times this must fit: allocator fragmentation, larger real-world rows
# Rows of the fake API's meter CSV and grid JSON are ~37 and ~70 bytes: these fill a payload close to the cap.
BYTES_PER_METER_ROW = 37
BYTES_PER_GRID_RECORD = 80  # as sent in pages (", " and ": " separators); stored compact, ~15 % smaller


def lambda_memory_mib(project) -> dict[str, int]:
    """Memory of each function of the stage, as Chalice resolves it (function > stage > top level)."""
    config = json.loads((project / ".chalice" / "config.json").read_text())
    stage = config["stages"][ENV]
    default = stage.get("lambda_memory_size", config["lambda_memory_size"])
    return {
        name: settings.get("lambda_memory_size", default)
        for name, settings in stage.get("lambda_functions", {}).items()
    }


def python_with_boto3_rss_mib() -> float:
    """Max resident size of a fresh interpreter that imported boto3 and made the clients a run uses."""
    code = (
        "import boto3; [boto3.client(s, region_name='eu-central-1') for s in ('s3', 'secretsmanager')]; "
        "import chalice, csv, json, urllib.request; "
        # VmHWM (peak resident set of this program); getrusage's maxrss would include pytest's, kept over exec
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(done.stdout.strip()) / 1024  # Linux reports KiB


def peak_mib(call) -> tuple[object, float]:
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("source", ["meter_readings", "grid_prices"])
def test_largest_accepted_payload_fits_the_lambda_memory(
    app_module, chalicelib, fake_api, stack, monkeypatch, source
):
    from chalicelib import aws, transforms
    from chalicelib.ingest import run_ingest
    from chalicelib.logs import RunLog
    from chalicelib.settings import HttpPolicy, Settings

    # the production caps, not the small ones the other tests use
    monkeypatch.delenv("INGEST_MAX_RESPONSE_BYTES", raising=False)
    monkeypatch.delenv("INGEST_MAX_TOTAL_BYTES", raising=False)
    # The fake API builds a ~4 MiB body before it answers; on a busy 2-core machine that outlasts the 20 s
    # production read timeout. The timeout is not what this test measures.
    monkeypatch.setenv("INGEST_TIMEOUT_SECONDS", "180")
    cap = HttpPolicy().max_total_bytes
    store_secrets(fake_api)
    target = int(cap * 0.97)
    fake_api.set_knobs(
        meter_rows=target // BYTES_PER_METER_ROW,
        grid_records=target // BYTES_PER_GRID_RECORD,
        page_size=5000,
    )
    settings = Settings.from_environ()

    quiet = RunLog(stream=io.StringIO())
    result, ingest_peak = peak_mib(lambda: run_ingest(source, settings, log=quiet))
    assert result.written and 0.75 * cap < result.bytes <= cap, (result.bytes, cap)

    ctx = transforms.Context(settings=settings, s3=aws.client("s3"), log=quiet)
    ran, transform_peak = peak_mib(lambda: transforms.dispatch(ctx, result.key))
    assert "normalize" in ran

    baseline = python_with_boto3_rss_mib()
    memory = lambda_memory_mib(stack.project)
    print(
        f"{source}: payload {result.bytes / MIB:.1f} MiB, {result.records} records; peak ingest "
        f"{ingest_peak:.0f} MiB, transform {transform_peak:.0f} MiB; python+boto3 {baseline:.0f} MiB; "
        f"memory {memory}"
    )
    for function, peak in (
        (f"ingest-{source.replace('_', '-')}-function", ingest_peak),
        ("transform-raw-function", transform_peak),
    ):
        need = (baseline + peak) * HEADROOM
        assert need <= memory[function], (
            f"{function} needs ~{need:.0f} MiB for a {cap}-byte payload but has {memory[function]} MiB: raise "
            "lambda_memory_size in chalice_app/.chalice/config.json or lower INGEST_MAX_TOTAL_BYTES"
        )


def test_a_run_stops_at_the_total_cap_across_pages(app_module, chalicelib, with_secrets, stack, monkeypatch):
    from chalicelib.errors import PayloadError
    from chalicelib.ingest import run_ingest
    from chalicelib.settings import Settings

    # every page is far below the per-response cap, together they pass the total cap
    monkeypatch.setenv("INGEST_MAX_TOTAL_BYTES", "4000")
    with_secrets.set_knobs(grid_records=200, page_size=20)
    with pytest.raises(PayloadError, match=r"exceed the 4000-byte total cap \(INGEST_MAX_TOTAL_BYTES\)"):
        run_ingest("grid_prices", Settings.from_environ())
    pages = [path for path, _ in with_secrets.requests]
    assert 1 < len(pages) < 10  # it stopped early, not after fetching all ten pages
    assert stack.raw_keys() == []
    [failure] = stack.derived_keys("failures/grid_prices/")
    assert stack.derived_json(failure)["error_type"] == "PayloadError"
