"""On-premise upload (resumable multipart, SHA-256) with the device's own key under moto's IAM enforcement,
and the sample-data script."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys

import boto3
import pytest
from moto_control import set_iam_enforcement

from mplat.ops.onprem import MIN_PART_SIZE, UploadError, UploadRequest, upload

from .conftest import RAW, copy_app


class Interrupted(Exception):
    pass


def stop_after_first_part(sent: int, total: int) -> None:
    if sent < total:
        raise Interrupted  # like Ctrl-C between two parts


def test_resumable_upload_with_device_key(aws_env, repo_root, tmp_path, monkeypatch):
    project = copy_app(repo_root, tmp_path / "chalice_app")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "infra",
            "apply",
            "--env",
            "local",
            "--yes",
            "--only",
            "storage,iam,outputs",
            "--chalice-config",
            str(project / ".chalice" / "config.json"),
        ],
        cwd=repo_root,
        check=True,
        capture_output=True,
    )
    device = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId="mplat/local/onprem/sample")["SecretString"]
    )
    payload = os.urandom(2 * MIN_PART_SIZE + 123_456)  # three parts: 5 MiB, 5 MiB, the rest
    source = tmp_path / "site-a-2026-01.csv"
    source.write_bytes(payload)
    state_dir = tmp_path / "state"
    device_s3 = boto3.client(
        "s3", aws_access_key_id=device["access_key_id"], aws_secret_access_key=device["secret_access_key"]
    )

    set_iam_enforcement(aws_env, True)
    try:
        request = UploadRequest(
            path=source, bucket=RAW, device="sample", part_size=MIN_PART_SIZE, state_dir=state_dir
        )
        with pytest.raises(Interrupted):
            upload(device_s3, request, progress=stop_after_first_part)
        assert len(list(state_dir.glob("*.json"))) == 1  # the unfinished upload is remembered

        # the same command again, as the device runs it: only the missing parts go up
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": device["access_key_id"],
            "AWS_SECRET_ACCESS_KEY": device["secret_access_key"],
            "MPLAT_CHALICE_APP": str(project),
        }
        result = subprocess.run(
            [
                str(repo_root / "scripts" / "onprem-upload"),
                str(source),
                "--device",
                "sample",
                "--env",
                "local",
                "--part-size-mb",
                "5",
                "--state-dir",
                str(state_dir),
            ],
            env={**env, "MPLAT_PYTHON": sys.executable},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["key"] == "onprem/sample/site-a-2026-01.csv"
        assert (summary["parts"], summary["parts_resumed"]) == (3, 1)
        assert list(state_dir.glob("*.json")) == []
        # the device key can write nothing outside its prefix
        with pytest.raises(device_s3.exceptions.ClientError, match="AccessDenied"):
            upload(
                device_s3,
                UploadRequest(
                    path=source, bucket=RAW, device="other", state_dir=state_dir, part_size=MIN_PART_SIZE * 4
                ),
            )
    finally:
        set_iam_enforcement(aws_env, False)

    stored = boto3.client("s3").get_object(Bucket=RAW, Key="onprem/sample/site-a-2026-01.csv")
    body = stored["Body"].read()
    assert body == payload
    assert stored["Metadata"]["sha256"] == hashlib.sha256(payload).hexdigest()


def test_small_file_is_one_put_with_checksum(stack, tmp_path):
    source = tmp_path / "reading.csv"
    source.write_text("meter_id,timestamp,kwh\nM-1,2026-01-01T00:00:00Z,1.5\n")
    result = upload(
        boto3.client("s3"),
        UploadRequest(
            path=source, bucket=RAW, device="sample", name="2026/r.csv", state_dir=tmp_path / "state"
        ),
    )
    assert (result.key, result.parts) == ("onprem/sample/2026/r.csv", 1)
    stored = boto3.client("s3").get_object(Bucket=RAW, Key=result.key)
    assert stored["Body"].read() == source.read_bytes()
    assert stored["Metadata"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()


def test_upload_sample_data_puts_epw_files(stack, repo_root, shared_data):
    result = subprocess.run(
        [str(repo_root / "scripts" / "upload-sample-data"), "--env", "local"],
        env={**os.environ, "MPLAT_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    shipped = {
        p.name.removesuffix(".gz"): gzip.decompress(p.read_bytes())
        for p in (repo_root / "data" / "examples").glob("*.epw.gz")
    }
    expected = shipped or {p.name: p.read_bytes() for p in (shared_data / "weather").glob("*.epw")}
    keys = stack.raw_keys("onprem/sample/weather/")
    assert sorted(keys) == sorted(f"onprem/sample/weather/{name}" for name in expected), result.stdout
    for key in keys:
        body = boto3.client("s3").get_object(Bucket=RAW, Key=key)["Body"].read()
        assert body == expected[key.rsplit("/", 1)[1]] and body.startswith(b"LOCATION,")


@pytest.mark.parametrize("size", [100, MIN_PART_SIZE + 1], ids=["single-put", "multipart"])
def test_an_existing_name_is_never_overwritten(stack, tmp_path, size):
    """The uploader sends `If-None-Match: *` (on the put, and on the multipart completion): S3 refuses a name
    that exists, so raw keeps the first bytes and the device is told what to do."""
    s3 = boto3.client("s3")
    source = tmp_path / "reading.csv"
    request = UploadRequest(
        path=source,
        bucket=RAW,
        device="sample",
        name="r.csv",
        state_dir=tmp_path / "state",
        part_size=MIN_PART_SIZE,
    )
    source.write_bytes(b"a" * size)
    upload(s3, request)
    source.write_bytes(b"b" * size)
    with pytest.raises(
        UploadError, match=r"onprem/sample/r.csv already exists and raw data is never overwritten"
    ):
        upload(s3, request)
    assert s3.get_object(Bucket=RAW, Key="onprem/sample/r.csv")["Body"].read() == b"a" * size
    assert list((tmp_path / "state").glob("*.json")) == []  # a refused upload is not resumed forever
