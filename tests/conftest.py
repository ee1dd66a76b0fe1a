"""Fixtures shared by every test group.

Real components only: a moto server stands in for AWS (one per xdist worker), and every
test that talks to it gets fresh state and fake credentials through `aws_env`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto_control import reset_moto

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _xdist_group_applied(request: pytest.FixtureRequest) -> None:
    """Fail grouped tests when `--dist loadgroup` did not apply their group (a pytest / xdist mismatch).

    pytest-xdist marks a grouped test by appending `@group` to its node id; when that silently stops
    working (pytest 9.2 with xdist 3.8), every worker builds the demo site itself, doubling the run and
    racing on the shared cache.
    """
    grouped = getattr(request.config.option, "loadgroup", False) and request.node.get_closest_marker(
        "xdist_group"
    )
    if grouped and "@" not in request.node.nodeid:
        pytest.fail(
            f"pytest-xdist did not apply the xdist_group of {request.node.nodeid}: the installed pytest "
            "does not work with the installed pytest-xdist (see the pin in pyproject.toml)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` (reference weather and PVWatts files); present in CI beside the clone."""
    assert SHARED_DATA.is_dir(), f"reference data missing: expected {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 (random port) for this test session; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point boto3 (and anything it starts) at a clean moto server with fake credentials."""
    reset_moto(moto_server)
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    yield moto_server
    reset_moto(moto_server)


# Browser and built-site fixtures shared by the e2e, gallery, offline and pwa tests.
from e2e.fixtures import (  # noqa: E402
    DEMO_SITE_KEY,
    built_site,  # noqa: F401
    chromium,  # noqa: F401
    context,  # noqa: F401
    demo_server_port,  # noqa: F401
    demo_site_dir,
    demo_site_tests_last,
    guard,  # noqa: F401
    partner,  # noqa: F401
    site_server,  # noqa: F401
    start_demo_site_build,
)


def pytest_sessionstart(session: pytest.Session) -> None:
    start_demo_site_build(session.config)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent under -p no:xdist
def pytest_configure_node(node) -> None:  # type: ignore[no-untyped-def]
    node.workerinput[DEMO_SITE_KEY] = str(demo_site_dir(node.config))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    demo_site_tests_last(items)
