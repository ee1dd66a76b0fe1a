"""`alb` mode against the real marimo server: only requests carrying the ALB's signed `x-amzn-oidc-data` get
through (HTTP and the notebook's websocket); the key comes from a local stand-in of AWS's key endpoint."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from .alb import HEADER, SIGNER_PREFIX, TEST_ALB
from .running import RunningServer, open_notebook, serve, server_environment

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("server_browser")]


@pytest.fixture(scope="module")
def server(moto_server: str, sample_weather_dir: Path, tmp_path_factory) -> Iterator[RunningServer]:
    workdir = tmp_path_factory.mktemp("alb")
    env = server_environment(
        moto_server, {"SCRATCH_DIR": str(workdir / "scratch"), "SAMPLE_DATA_DIR": str(sample_weather_dir)}
    )
    with serve(env, workdir, "--auth", "alb") as running:
        yield running


def get(url: str, token: str | None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={HEADER: token} if token is not None else {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_request_signed_by_the_alb_reaches_marimo(server: RunningServer) -> None:
    status, body = get(f"{server.url}/", TEST_ALB.token())
    assert status == 200 and "<marimo" in body.lower()
    for _ in range(3):
        assert get(f"{server.url}/", TEST_ALB.token())[0] == 200
    assert TEST_ALB.key_requests.count(f"/{TEST_ALB.kid}") == 1  # the key is fetched once, then cached


def test_health_needs_no_token(server: RunningServer) -> None:
    assert get(f"{server.url}/health", None)[0] == 200  # the ALB's health checks bypass the sign-in


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (None, "no x-amzn-oidc-data header"),
        ("not-a-token", "is not a signed token"),
        (lambda: TEST_ALB.token(key=ec.generate_private_key(ec.SECP256R1())), "signature does not match"),
        (
            lambda: TEST_ALB.token(signer=f"{SIGNER_PREFIX}".replace("mplat-local", "other")),
            "not signed by this",
        ),
        (lambda: TEST_ALB.token(expires_in=-120), "token has expired"),
        (lambda: TEST_ALB.token(alg="none"), "is not ES256"),
    ],
    ids=["missing", "garbage", "bad-signature", "wrong-signer", "expired", "alg-none"],
)
def test_requests_without_a_valid_alb_token_are_refused(server: RunningServer, token, why: str) -> None:
    value = token() if callable(token) else token
    for path in ("/", "/?file=weather_processing.py", "/api/status"):
        status, body = get(f"{server.url}{path}", value)
        assert status == 401 and why in body, (path, status, body[:200])
        assert "marimo" not in body.lower()
    assert why in server.log.read_text()


def test_the_notebook_runs_through_the_gate_and_not_without_it(server: RunningServer, chromium) -> None:
    signed = chromium.new_context(extra_http_headers=TEST_ALB.headers())
    try:
        page = signed.new_page()
        open_notebook(page, server, "weather_processing.py", "Monthly statistics")  # needs the websocket
    finally:
        signed.close()
    anonymous = chromium.new_context()
    try:
        page = anonymous.new_page()
        response = page.goto(f"{server.url}/?file=weather_processing.py")
        assert response is not None and response.status == 401
        assert "did not come through the ALB" in page.content()
    finally:
        anonymous.close()


def test_alb_mode_without_a_signer_refuses_to_start(
    tmp_path: Path, moto_server: str, repo_root: Path
) -> None:
    import subprocess

    env = server_environment(moto_server, {"MPLAT_SERVER_AUTH": "alb", "SCRATCH_DIR": str(tmp_path)})
    env.pop("MPLAT_ALB_SIGNER", None)
    done = subprocess.run(
        [str(repo_root / "docker" / "marimo" / "serve.sh"), "--port", "1"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "auth mode 'alb' needs MPLAT_ALB_SIGNER" in done.stderr
