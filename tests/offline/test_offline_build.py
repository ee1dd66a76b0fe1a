"""The build step: every file a page may need is in the manifest under its content hash, in the right
group; the worker embeds that manifest; bad input stops the build and writes nothing."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from mplat.gallery.errors import GalleryError
from mplat.gallery.offline import (
    MANIFEST_FILE,
    OFFLINE_PAGE,
    WORKER_FILE,
    OfflineManifest,
    OfflineRequest,
    build_manifest,
    read_notebooks,
    write_offline,
)
from mplat.gallery.site_headers import HEADERS_FILE, SitePolicy, response_headers

from .support import Builds, read_manifest

GALLERY = {
    "notebooks": [
        {"slug": "solar", "title": "Solar <PV>", "page_url": "gallery/solar/", "app_url": "apps/solar.html"},
        {"slug": "wind", "title": "Wind", "page_url": "gallery/wind/", "app_url": "apps/wind.html"},
    ]
}


def _write(site: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)


@pytest.fixture
def small_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    _write(
        site,
        {
            "index.html": b"<html>home</html>",
            "gallery/index.html": b"<html>gallery</html>",
            "gallery/solar/index.html": b"<html>solar page</html>",
            "gallery.json": json.dumps(GALLERY).encode(),
            "assets/mplat/offline.js": b"// js",
            "assets/javascripts/bundle.js.map": b"{}",
            "sitemap.xml": b"<urlset/>",
            "apps/solar.html": b"<html>solar app</html>",
            "apps/wind.html": b"<html>wind app</html>",
            "apps/assets/chunk-abc.js": b"same bytes",
            "apps/assets/chunk-def.js": b"same bytes",
            "apps/public/weather data.csv": b"t,ghi\n",
            "runtime/pyodide.asm.wasm": b"\0asm" + bytes(1000),
            "runtime/packages/0123/x-1.0-py3-none-any.whl": b"PK",
        },
    )
    return site


def _worker_build(site: Path) -> dict:
    text = (site / WORKER_FILE).read_text()
    match = re.search(r"const BUILD = (\{.*?\}); //", text)
    assert match, "sw.js does not embed the manifest"
    return json.loads(match.group(1))


def test_manifest_lists_every_needed_file_by_content_hash_in_its_group(small_site: Path) -> None:
    manifest = write_offline(OfflineRequest(small_site, site_name="Demos"))
    files = manifest.by_path()
    for path, entry in files.items():
        data = (small_site / path).read_bytes()
        assert entry.sha == hashlib.sha256(data).hexdigest()[: len(entry.sha)] and len(entry.sha) >= 32
        assert entry.size == len(data)
    groups = {path: e.group for path, e in files.items()}
    assert groups["apps/solar.html"] == "notebook:solar"
    assert groups["apps/wind.html"] == "notebook:wind"
    for common in ("apps/assets/chunk-abc.js", "apps/public/weather data.csv", "runtime/pyodide.asm.wasm"):
        assert groups[common] == "common"
    for shell in (
        "index.html",
        "gallery/solar/index.html",
        "gallery.json",
        "assets/mplat/offline.js",
        OFFLINE_PAGE,
    ):
        assert groups[shell] == "shell"
    # Nothing a page never loads; nothing that describes the cache itself.
    assert not {"assets/javascripts/bundle.js.map", "sitemap.xml", WORKER_FILE, MANIFEST_FILE} & files.keys()
    # Identical contents are stored (and counted) once.
    assert manifest.total_bytes() == sum({e.sha: e.size for e in files.values()}.values())
    assert manifest.total_bytes() < sum(e.size for e in files.values())


def test_worker_embeds_the_manifest_written_beside_it(small_site: Path) -> None:
    manifest = write_offline(OfflineRequest(small_site))
    assert _worker_build(small_site) == manifest.to_json()
    assert read_manifest(small_site) == manifest
    assert OfflineManifest.from_json(manifest.to_json()) == manifest


def test_worker_sends_the_sites_header_table_and_a_new_table_is_a_new_version(small_site: Path) -> None:
    """The worker adds to what it serves exactly the table CloudFront and `make preview` send."""
    plain = write_offline(OfflineRequest(small_site)).version
    table = response_headers(SitePolicy.of(["https://portfolio.example"]))
    framed = write_offline(OfflineRequest(small_site, headers=table)).version
    worker = (small_site / "sw.js").read_text()
    start = worker.index("const SITE_HEADERS = ") + len("const SITE_HEADERS = ")
    embedded, _ = json.JSONDecoder().raw_decode(worker[start:])
    assert (
        embedded == table
        and "frame-ancestors 'self' https://portfolio.example" in embedded["Content-Security-Policy"]
    )
    assert framed != plain  # open pages get the new headers through the update flow


def test_version_changes_with_any_file_and_only_then(small_site: Path) -> None:
    first = write_offline(OfflineRequest(small_site)).version
    assert write_offline(OfflineRequest(small_site)).version == first
    (small_site / "apps" / "assets" / "chunk-def.js").write_bytes(b"new bytes")
    second = write_offline(OfflineRequest(small_site))
    assert second.version != first
    assert (
        second.by_path()["runtime/pyodide.asm.wasm"].sha
        == read_manifest(small_site).by_path()["runtime/pyodide.asm.wasm"].sha
    )


def test_offline_page_is_branded_and_lists_the_notebooks(small_site: Path) -> None:
    write_offline(OfflineRequest(small_site, site_name="Clean <Energy>"))
    page = (small_site / OFFLINE_PAGE).read_text()
    assert "You are offline" in page and "#d4a843" in page.lower() and "background: #000" in page
    assert "Clean &lt;Energy&gt;" in page
    assert 'href="gallery/solar/"' in page and "Solar &lt;PV&gt;" in page and 'href="gallery/wind/"' in page
    assert "{{" not in page
    # Self-contained: nothing loaded from anywhere (the network is what is missing).
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_bad_gallery_index_names_the_file_and_writes_nothing(small_site: Path) -> None:
    (small_site / "gallery.json").write_text('{"notebooks": [{"slug": "x"}]}')
    with pytest.raises(GalleryError, match=r"gallery\.json.*Rebuild the site"):
        write_offline(OfflineRequest(small_site))
    assert not (small_site / WORKER_FILE).exists() and not (small_site / OFFLINE_PAGE).exists()


def test_site_without_gallery_still_gets_a_worker(tmp_path: Path) -> None:
    _write(tmp_path, {"index.html": b"<html/>"})
    assert read_notebooks(tmp_path) == ()
    manifest = build_manifest(tmp_path, ())
    assert [e.group for e in manifest.entries] == ["shell"]


@pytest.mark.xdist_group("offline")
def test_real_build_has_worker_manifest_and_offline_page(offline_builds: Builds) -> None:
    site = offline_builds.a
    manifest = read_manifest(site)
    assert _worker_build(site)["version"] == manifest.version
    listed = set(manifest.by_path())
    on_disk = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    left_out = {p for p in on_disk - listed if not p.endswith(".map")}
    # site-headers.json is for the servers (make preview, publish-site's check), never fetched by a page
    assert left_out == {WORKER_FILE, MANIFEST_FILE, HEADERS_FILE, "sitemap.xml", "sitemap.xml.gz"}
    groups = {e.group for e in manifest.entries}
    assert groups == {"shell", "common", "notebook:good-demo", "notebook:other-demo"}
    # Every page, every wheel of the runtime and every marimo chunk (lazy ones included) are listed.
    lock = json.loads((site / "runtime" / "pyodide-lock.json").read_text())
    assert {f"runtime/{p['file_name']}" for p in lock["packages"].values()} <= listed
    assert {f"apps/assets/{p.name}" for p in (site / "apps" / "assets").iterdir()} <= listed
    assert {"index.html", "gallery/index.html", "gallery/good-demo/index.html", "offline.html"} <= listed
    # The update from A to B changes only the changed notebook's files, never the runtime.
    changed = {e.path for e in read_manifest(offline_builds.b).entries if e.sha not in manifest.hashes()}
    assert "apps/good-demo.html" in changed
    assert not {p for p in changed if p.startswith(("runtime/", "apps/assets/"))}
