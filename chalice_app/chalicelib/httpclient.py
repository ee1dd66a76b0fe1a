"""GET with timeouts, retries (exponential backoff + full jitter) and a response size cap, standard library only.

Retried: timeouts, connection errors, 5xx and 429 (waiting `Retry-After` when the server sends it).
Not retried: any other 4xx (a wrong key will not get better) and oversized bodies.
Only `https://` URLs are fetched (plain `http://` to 127.0.0.1 only in the `local` env, whose fake API has no
TLS): credentials never travel in clear text, and `file:`, `ftp:` or `data:` URLs in a secret read nothing.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from chalicelib.errors import ConfigError, FetchError, PayloadError
from chalicelib.logs import RunLog
from chalicelib.settings import HttpPolicy

USER_AGENT = "mplat-ingest/1"


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    attempts: int


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _safe_url(url: str) -> str:
    """The URL without query string or credentials, for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


LOOPBACK = "127.0.0.1"


def url_problem(url: str, *, allow_loopback_http: bool) -> str | None:
    """Why `url` may not be fetched (None: it may). Says what is allowed, never echoes a query string."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname == LOOPBACK and allow_loopback_http:
        return None
    loopback = "; plain http is allowed only for 127.0.0.1 in the local env" if allow_loopback_http else ""
    if parts.scheme == "http" and parts.hostname == LOOPBACK:
        loopback = "; plain http to 127.0.0.1 is allowed only in the local env"
    shown = f"{parts.scheme}:" if parts.scheme else "no scheme"
    return f"must be an https:// URL with a host, got {shown}{loopback}"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date); None if absent/garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only within the same scheme/host/port: urllib would forward our API-key and
    Authorization headers to any other host a redirect names."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN201
        old, new = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
        if (old.scheme, old.hostname, old.port) != (new.scheme, new.hostname, new.port):
            raise FetchError(
                f"GET {_safe_url(req.full_url)} redirected to another origin ({_safe_url(newurl)}); "
                "refused so credentials stay with the API: put the final URL in the secret",
                attempts=1,
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameOriginRedirects)


@dataclass
class HttpClient:
    policy: HttpPolicy
    log: RunLog
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    requests_made: int = field(default=0)  # every attempt of every call, for failure records
    bytes_received: int = field(default=0)  # bodies of every successful call, held against max_total_bytes

    def get(
        self, url: str, *, headers: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None
    ) -> Response:
        if params:
            query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        shown = _safe_url(url)
        problem = url_problem(url, allow_loopback_http=self.policy.allow_loopback_http)
        if problem:
            raise ConfigError(f"refused to GET {shown}: the URL {problem}")
        for attempt in range(1, self.policy.max_attempts + 1):
            self.requests_made += 1
            try:
                status, response_headers, body = self._once(url, dict(headers or {}))
                if attempt > 1:
                    self.log.info("request succeeded after retries", url=shown, attempts=attempt)
                self._count(len(body))
                return Response(status, response_headers, body, attempt)
            except FetchError as err:  # a 4xx other than 429: report it with the attempts made so far
                raise FetchError(str(err), attempts=attempt) from None
            except _Retryable as retry:
                if attempt == self.policy.max_attempts:
                    raise FetchError(
                        f"GET {shown} failed after {attempt} attempts: {retry.reason}", attempts=attempt
                    ) from None
                delay = self.retry_delay(attempt, retry.retry_after)
                self.log.warning(
                    "request failed, retrying",
                    url=shown,
                    attempt=attempt,
                    reason=retry.reason,
                    delay_s=round(delay, 3),
                )
                self.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _count(self, size: int) -> None:
        """Hold the run's responses together under max_total_bytes (the Lambda's memory is sized for it)."""
        self.bytes_received += size
        total_cap = self.policy.max_total_bytes
        if self.bytes_received > total_cap:
            raise PayloadError(
                f"the responses of this run exceed the {total_cap}-byte total cap (INGEST_MAX_TOTAL_BYTES) "
                f"after {self.requests_made} request(s); the Lambda's memory is sized for that cap: fetch a "
                "shorter period per run, or raise the cap together with lambda_memory_size"
            )

    def retry_delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.policy.backoff_max_seconds)
        ceiling = min(self.policy.backoff_max_seconds, self.policy.backoff_base_seconds * 2 ** (attempt - 1))
        return self.jitter() * ceiling  # "full jitter": spreads retries of many Lambdas over the window

    def _once(self, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        headers.setdefault("User-Agent", USER_AGENT)
        request = urllib.request.Request(url, headers=headers, method="GET")
        cap = self.policy.max_response_bytes
        try:
            with _OPENER.open(request, timeout=self.policy.timeout_seconds) as response:
                response_headers = {k.lower(): v for k, v in response.headers.items()}
                declared = response_headers.get("content-length", "")
                if declared.isdigit() and int(declared) > cap:
                    raise PayloadError(
                        f"response from {_safe_url(url)} is {int(declared)} bytes, over the {cap}-byte cap "
                        "(INGEST_MAX_RESPONSE_BYTES); fetch smaller pages or raise the cap"
                    )
                body = response.read(cap + 1)
                if len(body) > cap:
                    raise PayloadError(
                        f"response from {_safe_url(url)} exceeds the {cap}-byte cap (INGEST_MAX_RESPONSE_BYTES); "
                        "fetch smaller pages or raise the cap"
                    )
                return response.status, response_headers, body
        except urllib.error.HTTPError as err:
            status = err.code
            err.close()
            if status == 429 or status >= 500:
                raise _Retryable(
                    f"HTTP {status}", parse_retry_after(err.headers.get("Retry-After"))
                ) from None
            raise FetchError(
                f"GET {_safe_url(url)} answered HTTP {status} (not retried)", attempts=1
            ) from None
        except TimeoutError as err:
            raise _Retryable(
                f"timeout after {self.policy.timeout_seconds}s ({err.__class__.__name__})"
            ) from None
        except urllib.error.URLError as err:
            raise _Retryable(f"connection failed: {err.reason}") from None
        except (ConnectionError, http.client.HTTPException) as err:
            raise _Retryable(f"connection failed: {err.__class__.__name__}") from None
