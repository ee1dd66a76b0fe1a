"""Upload a file from an on-premise device into the raw bucket under `onprem/<device>/`.

- Resumable: files larger than one part go up as a multipart upload whose progress (upload id, finished parts)
  is kept in a small state file; running the same command again after an interruption sends only the missing
  parts. Only `s3:PutObject` is needed (the device's IAM user may do nothing else), so resuming relies on the
  local state, not on listing parts.
- Never overwrites: the single put and the multipart completion carry `If-None-Match: *`, so S3 refuses a name
  that already exists (raw data is write-once; the device's policy refuses writes without that header).
- Verified: every request carries the SHA-256 of its bytes (`ChecksumSHA256`), which S3 checks before accepting
  it; the whole file's SHA-256 is stored in the object's metadata (`sha256`) for readers.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
DEFAULT_PART_SIZE = 16 * 1024 * 1024
DEFAULT_STATE_DIR = Path.home() / ".cache" / "mplat" / "onprem-uploads"

Progress = Callable[[int, int], None]  # (bytes sent so far, total bytes)


class UploadError(Exception):
    pass


@dataclass(frozen=True, kw_only=True)
class UploadRequest:
    path: Path
    bucket: str
    device: str
    name: str | None = None  # object name under onprem/<device>/ (default: the file name)
    part_size: int = DEFAULT_PART_SIZE
    state_dir: Path = DEFAULT_STATE_DIR

    @property
    def key(self) -> str:
        name = self.name or self.path.name
        if not name or name.startswith("/") or ".." in name.split("/"):
            raise UploadError(f"invalid object name {name!r}: use a relative name such as 2026/01/file.csv")
        return f"onprem/{self.device}/{name}"


@dataclass(frozen=True)
class UploadResult:
    bucket: str
    key: str
    bytes: int
    sha256: str
    parts: int
    parts_resumed: int  # parts a previous, interrupted run had already sent


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class _State:
    path: Path

    def load(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def save(self, state: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(state))
        os.replace(partial, self.path)  # never a half-written state file

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def upload(s3: Any, request: UploadRequest, progress: Progress | None = None) -> UploadResult:
    if request.part_size < MIN_PART_SIZE:
        raise UploadError(
            f"part size {request.part_size} is below S3's minimum of {MIN_PART_SIZE} bytes (5 MiB)"
        )
    if not request.path.is_file():
        raise UploadError(f"{request.path} is not a file")
    size = request.path.stat().st_size
    sha256 = file_sha256(request.path)
    key = request.key
    report = progress or (lambda sent, total: None)
    if size <= request.part_size:
        body = request.path.read_bytes()
        with _refusing_overwrite(request.bucket, key):
            s3.put_object(
                Bucket=request.bucket,
                Key=key,
                Body=body,
                ChecksumSHA256=_b64_sha256(body),
                Metadata={"sha256": sha256, "device": request.device},
                IfNoneMatch="*",
            )
        report(size, size)
        return UploadResult(request.bucket, key, size, sha256, 1, 0)
    return _multipart(s3, request, key, size, sha256, report)


@contextlib.contextmanager
def _refusing_overwrite(bucket: str, key: str) -> Iterator[None]:
    """Turn S3's answer to `If-None-Match: *` on an existing name into an error that says what to do."""
    try:
        yield
    except ClientError as err:
        if _error_code(err) in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
            raise UploadError(
                f"s3://{bucket}/{key} already exists and raw data is never overwritten: if it is the same file "
                "there is nothing to do; otherwise upload it under another name (--name)"
            ) from None
        raise


def _multipart(
    s3: Any, request: UploadRequest, key: str, size: int, sha256: str, report: Progress
) -> UploadResult:
    # One state file per (bucket, key, content, part size): a changed file starts a fresh upload.
    identity = hashlib.sha256(f"{request.bucket}/{key}/{sha256}/{request.part_size}".encode()).hexdigest()[
        :32
    ]
    state_file = _State(request.state_dir / f"{identity}.json")
    state = state_file.load()
    if state is None:
        created = s3.create_multipart_upload(
            Bucket=request.bucket,
            Key=key,
            ChecksumAlgorithm="SHA256",
            Metadata={"sha256": sha256, "device": request.device},
        )
        state = {"bucket": request.bucket, "key": key, "upload_id": created["UploadId"], "parts": {}}
        state_file.save(state)
    resumed = len(state["parts"])
    total_parts = (size + request.part_size - 1) // request.part_size
    with request.path.open("rb") as handle:
        for number in range(1, total_parts + 1):
            if str(number) in state["parts"]:
                continue
            handle.seek((number - 1) * request.part_size)
            data = handle.read(request.part_size)
            try:
                sent = s3.upload_part(
                    Bucket=request.bucket,
                    Key=key,
                    UploadId=state["upload_id"],
                    PartNumber=number,
                    Body=data,
                    ChecksumSHA256=_b64_sha256(data),
                )
            except ClientError as err:
                if _error_code(err) == "NoSuchUpload":  # expired or aborted meanwhile: start over next time
                    state_file.clear()
                    raise UploadError(
                        "the interrupted upload expired on the bucket side; run again"
                    ) from None
                raise
            state["parts"][str(number)] = {"ETag": sent["ETag"], "ChecksumSHA256": _b64_sha256(data)}
            state_file.save(state)
            report(min(number * request.part_size, size), size)
    parts = [
        {"PartNumber": int(n), "ETag": p["ETag"], "ChecksumSHA256": p["ChecksumSHA256"]}
        for n, p in sorted(state["parts"].items(), key=lambda item: int(item[0]))
    ]
    try:
        with _refusing_overwrite(request.bucket, key):
            s3.complete_multipart_upload(
                Bucket=request.bucket,
                Key=key,
                UploadId=state["upload_id"],
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
    except UploadError:  # refused for good; the parts left behind are aborted by the bucket's lifecycle rule
        state_file.clear()
        raise
    state_file.clear()
    return UploadResult(request.bucket, key, size, sha256, total_parts, resumed)
