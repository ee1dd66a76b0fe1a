"""One ingestion run: secret → fetch (with retries) → validate → one conditional put into raw.

Nothing reaches raw unless the whole payload fetched and parsed; any failure leaves
`failures/<source>/<timestamp>.json` in the derived bucket and re-raises, so the invocation fails visibly.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib import aws, secrets, sources, storage
from chalicelib.errors import ConfigError
from chalicelib.httpclient import HttpClient, url_problem
from chalicelib.logs import RunLog
from chalicelib.settings import Settings

# Secret fields that are configuration, not credentials: logged (without query string) for debugging.
NOT_SENSITIVE_FIELDS = frozenset({"url"})
URL_FIELDS = frozenset({"url"})  # secret fields holding the API's address: https only


@dataclass(frozen=True)
class IngestResult:
    source: str
    key: str
    written: bool  # False: the same payload was already stored today
    records: int
    bytes: int
    requests: int


def run_ingest(
    source_name: str,
    settings: Settings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    log: RunLog | None = None,
) -> IngestResult:
    run_id = uuid.uuid4().hex[:12]
    log = log or RunLog()
    log.context.update(source=source_name, env=settings.env, run_id=run_id)
    http = HttpClient(settings.http, log, sleep=sleep)
    started = dt.datetime.now(dt.UTC)
    log.info("ingest started")
    try:
        source = sources.get(source_name)
        secret = secrets.store().get(settings.secret_id(source_name), source.secret_fields)
        log.hide(*(value for name, value in secret.items() if name not in NOT_SENSITIVE_FIELDS))
        _check_urls(source_name, settings, secret)
        body = source.fetch(http, secret)
        records = source.records(body)
        fetched_at = dt.datetime.now(dt.UTC)
        key = storage.raw_key(source_name, fetched_at.date(), body, source.extension)
        written = storage.put_if_absent(
            aws.client("s3"),
            settings.raw_bucket,
            key,
            body,
            content_type=source.content_type,
            metadata={
                "source": source_name,
                "fetched-at": fetched_at.isoformat(timespec="seconds"),
                "record-count": str(len(records)),
            },
        )
    except Exception as err:
        _record_failure(settings, source_name, err, http.requests_made, started, run_id, log)
        raise
    result = IngestResult(source_name, key, written, len(records), len(body), http.requests_made)
    log.info(
        "ingest finished" if written else "ingest finished: payload already stored today, nothing written",
        key=key,
        written=written,
        records=result.records,
        bytes=result.bytes,
        requests=result.requests,
    )
    return result


def _check_urls(source_name: str, settings: Settings, secret: dict[str, str]) -> None:
    """Refuse a secret whose URL is not https before anything is sent (the credentials go with the request)."""
    for field_name in sorted(URL_FIELDS & set(secret)):
        problem = url_problem(secret[field_name], allow_loopback_http=settings.http.allow_loopback_http)
        if problem:
            raise ConfigError(
                f"source {source_name}: field {field_name!r} of secret {settings.secret_id(source_name)!r} "
                f"{problem}; put the API's https:// address in the secret (docs/ingestion.md, step 1)"
            )


def _record_failure(
    settings: Settings,
    source: str,
    err: Exception,
    requests: int,
    started: dt.datetime,
    run_id: str,
    log: RunLog,
) -> None:
    failed = dt.datetime.now(dt.UTC)
    attempts = getattr(err, "attempts", None) or requests
    document = {
        "source": source,
        "error": log.scrub(str(err)),
        "error_type": err.__class__.__name__,
        "attempts": attempts,
        "requests": requests,
        "env": settings.env,
        "run_id": run_id,
        "started_at": started.isoformat(timespec="seconds"),
        "failed_at": failed.isoformat(timespec="seconds"),
    }
    key = storage.failure_key(source, failed)
    try:
        storage.put_json(aws.client("s3"), settings.derived_bucket, key, document)
    except Exception as write_err:  # the original error matters more; say the record is missing
        log.error("could not write failure record", key=key, reason=str(write_err))
    log.error(
        "ingest failed",
        error=document["error"],
        error_type=document["error_type"],
        attempts=attempts,
        failure_record=key,
    )
