"""Helpers for the offline tests: a site server that records what reached it, publishing a new build
under the same origin, reading the worker's content cache, and fixture projects A and B."""

from __future__ import annotations

import functools
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from gallery.conftest import FIXTURES, write_project

from mplat.gallery.offline import MANIFEST_FILE, OfflineManifest
from mplat.gallery.preview import SiteServer

NO_THUMBNAILS = '      thumbnails_browser: ""\n'  # branded cards: no Chromium screenshots in these builds
CHANGED_SLUG = "good-demo"
CHANGED_TEXT = ("Square:", "Square in build B:")


class RecordingServer(SiteServer):
    """`SiteServer` that records the path of every request that reached it (what the browser downloaded)."""

    def __init__(self, site_dir: Path, port: int = 0) -> None:
        super().__init__(site_dir, port)
        self.requests: list[str] = []
        handler = self.httpd.RequestHandlerClass
        assert isinstance(handler, functools.partial), "SiteServer's handler changed shape"
        log = self.requests

        class Recording(handler.func):  # type: ignore[misc, name-defined]
            def log_request(self, code: object = "-", size: object = "-") -> None:
                log.append(self.path.split("?", 1)[0])

        self.httpd.RequestHandlerClass = functools.partial(Recording, *handler.args, **handler.keywords)


def publish(build: Path, live: Path) -> None:
    """Replace the served folder with another build in one rename (the previous build's files are gone)."""
    staging = live.with_name(live.name + ".next")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(build, staging)
    old = live.with_name(live.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if live.exists():
        live.rename(old)
    staging.rename(live)
    shutil.rmtree(old, ignore_errors=True)


def read_manifest(site: Path) -> OfflineManifest:
    return OfflineManifest.from_json(json.loads((site / MANIFEST_FILE).read_text()))


# JS: the content hashes held by the site's content cache (cache names are per site scope).
CACHED_HASHES_JS = """async () => {
  const name = (await caches.keys()).find((n) => n.startsWith("mplat-content "));
  if (!name) return [];
  return (await (await caches.open(name)).keys()).map((r) => r.url.slice(r.url.lastIndexOf("/") + 1));
}"""

# JS: resolves once a service worker controls the page.
CONTROLLED_JS = """() => navigator.serviceWorker.controller ? true : new Promise((resolve) =>
  navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true), { once: true }))"""


@dataclass(frozen=True)
class Builds:
    """Build A of a two-notebook fixture project, and build B in which one notebook changed."""

    a: Path
    b: Path
    project: Path


def embed_option(origins: list[str]) -> str:
    return f"      embed_origins: {json.dumps(origins)}\n"


def write_fixture_project(root: Path, extra_options: str = "") -> Path:
    project = write_project(root, ["good_demo"], NO_THUMBNAILS + extra_options)
    other = (FIXTURES / "good_demo.py").read_text()
    other = other.replace('title = "Good demo"', 'title = "Other demo"').replace("order = 1", "order = 2")
    (project / "nb" / "other_demo.py").write_text(other.replace("n.value**2", "n.value**3"))
    return project


def change_notebook(project: Path) -> None:
    path = project / "nb" / "good_demo.py"
    text = path.read_text()
    assert CHANGED_TEXT[0] in text
    path.write_text(text.replace(*CHANGED_TEXT))
