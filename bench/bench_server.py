"""Server tier: EPW processing throughput, orientation sweep, and the server's start-up.

Baselines measured in the same run: the same EPW statistics computed with the csv module (what a notebook
without pandas would do), and a bare `marimo run` of a one-cell notebook for the start-up time.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_WEATHER = REPO_ROOT.parent / "shared" / "data" / "weather" / "NLD_Amsterdam062400_IWEC.epw"
# ~50 MB: the size of the multi-year weather files the server tier is for.
LARGE_FILE_YEARS = 33


def _best_of(repeats: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _large_epw(one_year: bytes, years: int) -> bytes:
    lines = one_year.decode().splitlines()
    return ("\n".join(lines[:8] + lines[8:] * years) + "\n").encode()


def _csv_monthly(data: bytes) -> list[float]:
    """Baseline: monthly mean temperature and GHI sums with the standard library only."""
    temps: list[list[float]] = [[] for _ in range(12)]
    ghi = [0.0] * 12
    for row in list(csv.reader(io.StringIO(data.decode())))[8:]:
        month = int(row[1]) - 1
        temps[month].append(float(row[6]))
        ghi[month] += float(row[13])
    return [sum(values) / len(values) for values in temps] + ghi


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _time_to_health(command: list[str], env: dict[str, str], port: int) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                    return time.perf_counter() - started
            except OSError:
                if process.poll() is not None or time.perf_counter() - started > 60:
                    raise RuntimeError(f"{command[0]} did not answer /health") from None
                time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def run() -> str:
    from mplat.server.orientation import assemble, sweep
    from mplat.server.weather import daily_stats, monthly_stats, parse_epw

    one_year = SHARED_WEATHER.read_bytes()
    large = _large_epw(one_year, LARGE_FILE_YEARS)
    rows = []
    for label, data in (("1 year", one_year), (f"{LARGE_FILE_YEARS} years", large)):
        repeats = 3 if len(data) < 5_000_000 else 1
        ours = _best_of(
            repeats, lambda data=data: (w := parse_epw(data, "x"), daily_stats(w), monthly_stats(w))
        )
        baseline = _best_of(repeats, lambda data=data: _csv_monthly(data))
        megabytes = len(data) / 1e6
        rows.append(
            f"| EPW → daily + monthly stats, {label} ({megabytes:.1f} MB) | {ours:.2f} s "
            f"({megabytes / ours:.0f} MB/s) | {baseline:.2f} s (csv module, monthly only) | "
            f"{baseline / ours:.1f}× |"
        )

    weather = parse_epw(one_year, "amsterdam")
    for step in (2.0, 1.0):
        seconds = _best_of(1, lambda step=step: assemble(list(sweep(weather, step)), step))
        count = len(list(range(0, 91, int(step)))) * int(360 / step)
        rows.append(
            f"| orientation sweep, {step:g}° grid ({count} orientations × 8760 h) | {seconds:.1f} s | | |"
        )

    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env |= {"PYTHON": sys.executable, "MPLAT_SERVER_AUTH": "token"}  # /health needs no token
    port = _free_port()
    ours = _time_to_health(
        [str(REPO_ROOT / "docker" / "marimo" / "serve.sh"), "--port", str(port)], env, port
    )
    with tempfile.TemporaryDirectory() as folder:
        bare = Path(folder) / "bare.py"
        bare.write_text("import marimo\napp = marimo.App()\n\n@app.cell\ndef _():\n    return\n")
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "marimo",
            "run",
            folder,
            "--headless",
            "--no-token",
            "--port",
            str(port),
        ]
        baseline = _time_to_health(command, env, port)
    rows.append(
        f"| server start → `/health` 200 (serve.sh, 4 notebooks) | {ours:.1f} s | {baseline:.1f} s "
        f"(bare `marimo run`, 1 cell) | {baseline / ours:.1f}× |"
    )
    return (
        "## Server tier\n\n"
        "| what | ours | baseline | baseline ÷ ours |\n| --- | --- | --- | --- |\n" + "\n".join(rows) + "\n"
    )
