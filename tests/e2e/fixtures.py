"""Browser and site fixtures (registered in tests/conftest.py): the demo site built once per test run,
served on 127.0.0.1, and one Chromium per worker.

The demo site takes minutes to build on a clean clone, so the run starts building it in the background as
soon as it begins (`start_demo_site_build`, from the controlling process) while the workers run other
tests; tests that need it are collected last (`demo_site_tests_last`) and wait for the one build. Every
worker then reads the same site folder. A run that did not start the background build (e.g. `pytest
tests/energy`) builds the site in the first worker that needs it, under a file lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, sync_playwright

from mplat.gallery.preview import SiteServer

from .browser import CHROMIUM, CHROMIUM_ARGS, OriginGuard
from .sitebuild import REPO_ROOT, build_site

DEMO_SITE_KEY = "mplat_demo_site_dir"  # passed to xdist workers in their workerinput
BUILD_TIMEOUT_S = 1500
# Test folders whose tests use the demo site: the background build starts when a run includes one.
DEMO_SITE_USERS = ("tests/e2e", "tests/gallery", "tests/offline")


def demo_site_dir(config: pytest.Config) -> Path:
    """The folder shared by the controlling process and every worker of this run."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return Path(workerinput[DEMO_SITE_KEY])
    return config._tmp_path_factory.getbasetemp() / "demo-site"  # type: ignore[attr-defined]


def _runs_demo_site_tests(config: pytest.Config) -> bool:
    users = [REPO_ROOT / folder for folder in DEMO_SITE_USERS]
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if any(path == u or path in u.parents or u in path.parents for u in users):
            return True
    return False


SERVER_PORT_FILE = "server-port"  # the port the demo site's "Open on the server" buttons point at


def _build_into(folder: Path) -> None:
    """Build the demo site into `folder/site` and record the outcome in `folder/result.json`.

    The site is built with a server tier address (mkdocs.yml reads MPLAT_SERVER_URL): a free port on
    127.0.0.1, kept in `folder/server-port`, where tests start the marimo server (`demo_server_port`)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (folder / SERVER_PORT_FILE).write_text(str(port))
    result = build_site(
        REPO_ROOT, folder / "site", environment={"MPLAT_SERVER_URL": f"http://127.0.0.1:{port}/"}
    )
    outcome = {"returncode": result.returncode, "output": (result.stdout + result.stderr)[-20000:]}
    (folder / "result.json.part").write_text(json.dumps(outcome))
    (folder / "result.json.part").replace(folder / "result.json")


def start_demo_site_build(config: pytest.Config) -> None:
    """From the controlling process, before workers start: build the demo site in a background thread."""
    if getattr(config, "workerinput", None) is not None or config.option.collectonly:
        return
    if not _runs_demo_site_tests(config):
        return
    folder = demo_site_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "started").touch()
    threading.Thread(target=_build_into, args=(folder,), daemon=True, name="demo-site-build").start()


# The longest tests on the demo site start first among them, so that no worker is left finishing one
# alone at the end of the run.
LONGEST_DEMO_SITE_TESTS = ("test_offline_webkit.py", "test_offline_chromium.py")


def demo_site_tests_last(items: list[pytest.Item]) -> None:
    """Reorder so workers run everything else while the demo site is still being built."""

    def key(item: pytest.Item) -> tuple[bool, bool]:
        uses_site = "built_site" in getattr(item, "fixturenames", ())
        return uses_site, not item.nodeid.split("::")[0].endswith(LONGEST_DEMO_SITE_TESTS)

    items.sort(key=key)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def built_site(request: pytest.FixtureRequest) -> Path:
    """`mkdocs build` of the real project (the same as `make site`), once per test run."""
    folder = demo_site_dir(request.config)
    folder.mkdir(parents=True, exist_ok=True)
    result = folder / "result.json"
    with _locked(folder / ".lock"):
        if not result.exists() and not (folder / "started").exists():
            (folder / "started").touch()
            _build_into(folder)  # nobody started it: this worker builds, the others wait on the lock
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while not result.exists():
        assert time.monotonic() < deadline, f"the demo site build did not finish in {BUILD_TIMEOUT_S} s"
        time.sleep(1)
    outcome = json.loads(result.read_text())
    assert outcome["returncode"] == 0, f"mkdocs build of the demo site failed:\n{outcome['output']}"
    return folder / "site"


@pytest.fixture(scope="session")
def demo_server_port(built_site: Path) -> int:
    """The port of the server tier the demo site's server notebooks open (nothing listens until a test
    starts the marimo server there)."""
    return int((built_site.parent / SERVER_PORT_FILE).read_text())


@pytest.fixture(scope="session")
def site_server(built_site: Path) -> Iterator[SiteServer]:
    server = SiteServer(built_site).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def guard() -> OriginGuard:
    return OriginGuard()


def _print_console(message: ConsoleMessage) -> None:
    if message.type in ("error", "warning") or "mplat" in message.text:
        print(f"[console {message.type}] {message.text[:500]}")


@pytest.fixture
def context(chromium: Browser, guard: OriginGuard) -> Iterator[BrowserContext]:
    """A fresh browser profile whose every request leaving 127.0.0.1 is recorded and blocked."""
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900})
    guard.attach(ctx)
    # Printed, so pytest shows what the pages and their workers said when a test fails (not marimo's
    # log of every kernel message).
    ctx.on("console", _print_console)
    ctx.on("weberror", lambda error: print(f"[page error] {error.error}"))
    yield ctx
    ctx.close()


@dataclass(frozen=True)
class Partner:
    """Another origin's web site (a portfolio), started before the builds so they can name it in
    `embed_origins`; it sends no headers of its own."""

    server: SiteServer
    folder: Path

    @property
    def origins(self) -> list[str]:
        """The same server reached as 127.0.0.1 (same site as the gallery) and as localhost (another site)."""
        url = self.server.url.rstrip("/")
        return [url, url.replace("127.0.0.1", "localhost")]


@pytest.fixture(scope="session")
def partner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Partner]:
    folder = tmp_path_factory.mktemp("partner")
    server = SiteServer(folder, headers={}).start()
    yield Partner(server, folder)
    server.stop()
