"""Acceptance: `mplat dev up` (from the repository), then `mplat ingest run` for each example source."""

from __future__ import annotations

import ctypes
import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import boto3

from .conftest import DERIVED, RAW, SOURCES, copy_app
from .test_cli import MPLAT


def read_until_ready(process: subprocess.Popen[str], timeout: float = 300) -> dict[str, str]:
    """Collect the `export` lines up to `ready` (generous timeout: infra apply is slow on a busy machine)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    exports: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError("mplat dev up did not print `ready` in time") from None
        if line is None:
            raise AssertionError(f"mplat dev up exited early ({process.wait()}): {process.stderr.read()}")
        if line == "ready":
            return exports
        assert line.startswith("export "), line  # stdout holds only the environment, then `ready`
        name, value = line.removeprefix("export ").split("=", 1)
        exports[name] = value


def start_dev_up(
    repo_root: Path, tmp_path: Path, sigint_ignored: bool = False
) -> tuple[subprocess.Popen[str], Path, dict[str, str]]:
    """`mplat dev up` on free ports, with infra writing stage `local` into a copy of the app, not the repo.
    `sigint_ignored`: start it as a non-interactive shell starts a background job (`cmd &`)."""
    project = copy_app(repo_root, tmp_path / "chalice_app")
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    clean_env["MPLAT_CHALICE_APP"] = str(project)
    process = subprocess.Popen(
        [*MPLAT, "dev", "up", "--port-moto", "0", "--port-api", "0"],
        cwd=repo_root,
        env=clean_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None,
    )
    return process, project, clean_env


def test_dev_up_then_ingest_each_example_source(repo_root: Path, tmp_path: Path):
    process, project, clean_env = start_dev_up(repo_root, tmp_path)
    try:
        exports = read_until_ready(process)
        assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"} <= set(
            exports
        )
        stage = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["local"]
        assert stage["environment_variables"]["RAW_BUCKET"] == RAW

        user_env = {**clean_env, **exports}
        for source in SOURCES:
            result = subprocess.run(
                [*MPLAT, "ingest", "run", source, "--env", "local"],
                env=user_env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout)["written"] is True

        s3 = boto3.client(
            "s3",
            endpoint_url=exports["AWS_ENDPOINT_URL"],
            region_name=exports["AWS_REGION"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=RAW).get("Contents", [])]
        assert sorted(k.split("/")[0] for k in keys) == sorted(SOURCES)
        assert "Contents" not in s3.list_objects_v2(Bucket=DERIVED, Prefix="failures/")
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "stopped" in stderr and "Traceback" not in stderr


def assert_ctrl_c_stops_it(process: subprocess.Popen[str], interrupt: Callable[[int], None]) -> None:
    """Once `ready`, `interrupt(pid)` delivers a Ctrl-C: the stack must exit cleanly within 30 s."""
    try:
        read_until_ready(process)
        interrupt(process.pid)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "stopped" in stderr


def test_ctrl_c_stops_the_stack_when_the_kernel_hands_it_to_a_server_thread(repo_root: Path, tmp_path: Path):
    # A Ctrl-C is sent to the process; the kernel gives it to any thread. Aim it at a server thread on purpose.
    def to_a_server_thread(pid: int) -> None:
        server_thread = next(int(t) for t in os.listdir(f"/proc/{pid}/task") if int(t) != pid)
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.tgkill(pid, server_thread, signal.SIGINT) == 0, os.strerror(ctypes.get_errno())

    process, _, _ = start_dev_up(repo_root, tmp_path)
    assert_ctrl_c_stops_it(process, to_a_server_thread)


def test_ctrl_c_stops_the_stack_started_in_the_background_by_a_script(repo_root: Path, tmp_path: Path):
    process, _, _ = start_dev_up(repo_root, tmp_path, sigint_ignored=True)
    assert_ctrl_c_stops_it(process, lambda pid: os.kill(pid, signal.SIGINT))
