"""Running the image's start script for tests: environment, free port, start and stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .alb import TEST_ALB

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVE_SCRIPT = REPO_ROOT / "docker" / "marimo" / "serve.sh"
ACCOUNT_ID = "123456789012"
RAW_BUCKET = f"mplat-local-storage-raw-{ACCOUNT_ID}"
DERIVED_BUCKET = f"mplat-local-storage-derived-{ACCOUNT_ID}"
# Every notebook of notebooks/analysis/ and a text it shows only once its cells ran. Add a line per new notebook
# (test_gallery_lists_every_analysis_notebook fails until you do).
NOTEBOOK_MARKERS = {
    "weather_processing.py": "Monthly statistics",
    "pipeline_status.py": "source(s) in",
    "orientation_sweep.py": "Run orientation sweep",
    "scratch_staging.py": "Stage into scratch",
}


@dataclass(frozen=True)
class RunningServer:
    url: str
    scratch_dir: Path
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(aws_endpoint: str, extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without AWS settings, plus moto, the buckets and the venv's Python."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        PYTHON=sys.executable,
        AWS_ENDPOINT_URL=aws_endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="eu-central-1",
        MPLAT_ENV="local",
        RAW_BUCKET=RAW_BUCKET,
        DERIVED_BUCKET=DERIVED_BUCKET,
    )
    env.update(extra)
    return env


@contextmanager
def serve(
    env: Mapping[str, str], workdir: Path, *args: str, script: Path = SERVE_SCRIPT, port: int | None = None
) -> Iterator[RunningServer]:
    """Run `script` (serve.sh) on `port` (default: a free one) until /health answers; stop its process
    group afterwards. With `--auth alb` the server trusts the test's stand-in ALB (`TEST_ALB`), whose token
    browsers send."""
    if "alb" in args:
        env = {**env, **TEST_ALB.environment()}
    port = port or free_port()
    log = workdir / f"server-{port}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(script), "--host", "127.0.0.1", "--port", str(port), *args],
            env=dict(env), stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True, cwd=workdir,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"server did not answer /health within 60 s:\n{log.read_text()}")
            time.sleep(0.2)
        yield RunningServer(url=url, scratch_dir=Path(env.get("SCRATCH_DIR", "/app/scratch")), log=log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def open_notebook(page, server: RunningServer, name: str, marker: str):
    """Open a notebook and wait for a text that only shows once its cells ran."""
    assert NOTEBOOK_MARKERS[name]
    page.goto(f"{server.url}/?file={name}")
    page.get_by_text(marker).first.wait_for()
    assert_no_cell_error(page)
    return page


def assert_no_cell_error(page) -> None:
    # In run mode marimo hides tracebacks: a failing cell shows "An internal error occurred".
    assert page.get_by_text("An internal error").count() == 0
    assert page.get_by_text("Traceback").count() == 0
