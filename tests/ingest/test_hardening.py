"""Security review findings of ingestion: https-only sources, no payload contents in failure records or logs,
and secrets redacted even when JSON encoding would escape them."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from .conftest import ENV

MARKER = "Pat1ent-Jane-Doe-4471"  # stands for personal data inside an API's answer


class CannedApi:
    """A local HTTP API answering each path with a body the test sets (what a misbehaving API might send)."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.requests: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                api.requests.append(self.path)
                body = api.bodies.get(self.path.split("?")[0], b"")
                self.send_response(200 if body else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canned(stack) -> Iterator[CannedApi]:
    api = CannedApi()
    yield api
    api.close()


def set_secret(source: str, **fields: str) -> None:
    boto3.client("secretsmanager").create_secret(
        Name=f"mplat/{ENV}/ingest/{source}", SecretString=json.dumps(fields)
    )


def run(source: str, environ_env: str | None = None):
    from chalicelib.ingest import run_ingest
    from chalicelib.logs import RunLog
    from chalicelib.settings import Settings

    out = io.StringIO()
    settings = Settings.from_environ()
    if environ_env:
        settings = Settings.from_environ({**_stage_environ(), "MPLAT_ENV": environ_env})
    try:
        run_ingest(source, settings, log=RunLog(stream=out), sleep=lambda s: None)
    except Exception as err:  # noqa: BLE001 (the test looks at what was recorded)
        return err, out.getvalue()
    raise AssertionError("the run was expected to fail")


def _stage_environ() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k in ("RAW_BUCKET", "DERIVED_BUCKET", "SECRET_PREFIX")}


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        ("http://api.example.invalid/prices", ENV, "got http:; plain http is allowed only for 127.0.0.1"),
        ("file:///etc/passwd", ENV, "got file:"),
        ("ftp://127.0.0.1/prices", ENV, "got ftp:"),
        ("CANNED/grid", "dev", "got http:; plain http to 127.0.0.1 is allowed only in the local env"),
    ],
    ids=["http-elsewhere", "file", "ftp", "loopback-outside-local"],
)
def test_source_urls_must_be_https(app_module, chalicelib, canned, stack, url, env, expected):
    canned.bodies["/grid"] = b'{"data": [], "next_cursor": null}'
    set_secret("grid_prices", url=url.replace("CANNED", canned.url), api_key="k-123456")
    err, log = run("grid_prices", environ_env=env)
    message = str(err)
    assert type(err).__name__ == "ConfigError"
    assert (
        "source grid_prices: field 'url' of secret 'mplat/local/ingest/grid_prices' must be an https:// URL"
        in (message)
    )
    assert expected in message and "put the API's https:// address in the secret" in message
    assert canned.requests == []  # nothing was sent, so the API key went nowhere
    assert stack.raw_keys() == []
    [failure] = stack.derived_keys("failures/grid_prices/")
    assert stack.derived_json(failure)["error_type"] == "ConfigError"


def test_loopback_http_is_fine_in_the_local_env(app_module, chalicelib, canned, stack):
    from chalicelib.ingest import run_ingest
    from chalicelib.settings import Settings

    canned.bodies["/grid"] = b'{"data": [], "next_cursor": null}'
    set_secret("grid_prices", url=f"{canned.url}/grid", api_key="k-123456")
    assert run_ingest("grid_prices", Settings.from_environ()).records == 0


GRID_CASES = {
    "value-of-wrong-type": {
        "data": [{"timestamp": "2026-01-01T00:00:00Z", "zone": "NL", "price_eur_mwh": MARKER}]
    },
    "record-not-an-object": {"data": [MARKER]},
    "naive-timestamp": {
        "data": [{"timestamp": f"2026-01-01T00:00:00{MARKER}", "zone": "NL", "price_eur_mwh": 1}]
    },
    "cursor-not-a-string": {"data": [], "next_cursor": [MARKER]},
}
CSV_CASES = {
    "header": f"meter_id,timestamp,{MARKER}\nM-1,2026-01-01T00:00:00Z,1\n",
    "value": f"meter_id,timestamp,kwh\nM-1,2026-01-01T00:00:00Z,{MARKER}\n",
    "bad-json-like-text": f"meter_id,timestamp,kwh\nM-1,{MARKER},1\n",
}


@pytest.mark.parametrize(
    ("source", "body"),
    [("grid_prices", json.dumps(v)) for v in GRID_CASES.values()]
    + [("meter_readings", v) for v in CSV_CASES.values()],
    ids=[*GRID_CASES, *CSV_CASES],
)
def test_failure_records_and_logs_never_echo_payload_contents(
    app_module, chalicelib, canned, stack, source, body
):
    canned.bodies["/api"] = body.encode()
    secret = {"url": f"{canned.url}/api", "api_key": "k-123456", "username": "u", "password": "p-123456"}
    set_secret(
        source,
        **{k: v for k, v in secret.items() if k in ("url", "api_key")}
        if source == "grid_prices"
        else {k: v for k, v in secret.items() if k != "api_key"},
    )
    err, log = run(source)
    assert type(err).__name__ == "PayloadError"
    [failure] = stack.derived_keys(f"failures/{source}/")
    record = json.dumps(stack.derived_json(failure))
    assert "PayloadError" in record and source in record  # the record still says what failed and where
    for text in (str(err), record, log):
        assert MARKER not in text


def test_secrets_are_redacted_before_json_encoding(chalicelib):
    from chalicelib.logs import RunLog

    out = io.StringIO()
    log = RunLog(context={"source": "x"}, stream=out)
    secret = 'pa"ss\\wörd-✓'
    log.hide(secret)
    log.error(f"failed with {secret}", reason=f"key={secret}", nested={"list": [secret, 1], secret: True})
    line = out.getvalue()
    for form in (secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]):
        assert form not in line
    record = json.loads(line)
    assert record["message"] == "failed with ***" and record["reason"] == "key=***"
    assert record["nested"] == {"list": ["***", 1], "***": True}
