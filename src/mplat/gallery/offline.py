"""Offline support, the last build step: a manifest of every file the site may need, each keyed by its
content hash; the service worker (`sw.js` at the site root) generated from it; and the branded offline
page shown for an uncached page without a network.

It reads only the finished `site/` (and `gallery.json` for the notebook list), so it must run after
every other step has written its files. Each file belongs to one group, which tells the worker when to
cache it (docs/offline.md):
- "shell": pages, styles, scripts, icons — at install;
- "common": marimo's frontend (`apps/` but the app pages), the Pyodide runtime, sample data — when any
  notebook is first opened;
- "notebook:<slug>": that notebook's app page — when it is first opened;
and everything from the gallery's "Make available offline" button.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass, field
from pathlib import Path

from mplat.files import sha256_file, write_atomic

from .errors import GalleryError
from .messages import DEFAULT_LANGUAGE, Language, text
from .site_headers import HEADERS_FILE, SitePolicy, response_headers

WORKER_FILE = "sw.js"
MANIFEST_FILE = "offline-manifest.json"  # the same manifest as in sw.js, for tools, tests and benchmarks
OFFLINE_PAGE = "offline.html"
GALLERY_JSON = "gallery.json"
HASH_CHARS = 32  # hex digits of SHA-256 kept (128 bits); the worker checks every download against them
TEMPLATES = Path(__file__).parent / "offline_assets"
_BUILD_PLACEHOLDER = "/*MPLAT_BUILD*/ null"
_TEXT_PLACEHOLDER = '/*MPLAT_OFFLINE_TEXT*/ ""'
_HEADERS_PLACEHOLDER = "/*MPLAT_HEADERS*/ {}"

# Files no page ever loads: not worth a byte of the user's storage.
NOT_CACHED_NAMES = frozenset({WORKER_FILE, MANIFEST_FILE, HEADERS_FILE, "sitemap.xml", "sitemap.xml.gz"})
NOT_CACHED_SUFFIXES = (".map",)

SHELL = "shell"
COMMON = "common"
NOTEBOOK_PREFIX = "notebook:"
COMMON_DIRS = ("apps/", "runtime/")


@dataclass(frozen=True)
class ManifestEntry:
    path: str  # relative to the site root, "/"-separated, not URL-encoded
    sha: str  # first HASH_CHARS hex digits of the file's SHA-256
    size: int
    group: str


@dataclass(frozen=True)
class OfflineManifest:
    version: str  # changes whenever any file (or the worker's code) changes
    entries: tuple[ManifestEntry, ...]

    def to_json(self) -> dict:
        return {"version": self.version, "files": [[e.path, e.sha, e.size, e.group] for e in self.entries]}

    @classmethod
    def from_json(cls, data: dict) -> OfflineManifest:
        return cls(data["version"], tuple(ManifestEntry(*row) for row in data["files"]))

    def by_path(self) -> dict[str, ManifestEntry]:
        return {e.path: e for e in self.entries}

    def hashes(self) -> set[str]:
        return {e.sha for e in self.entries}

    def total_bytes(self) -> int:
        """What a full offline download stores: each distinct content once."""
        return sum({e.sha: e.size for e in self.entries}.values())


@dataclass(frozen=True)
class NotebookLink:
    slug: str
    title: str
    page_url: str  # relative to the site root
    app_url: str


@dataclass(frozen=True)
class OfflineRequest:
    site_dir: Path
    site_name: str = "Gallery"
    language: Language = DEFAULT_LANGUAGE
    # The site's response headers (site_headers.py): the worker adds them to every response it serves.
    headers: dict[str, str] = field(default_factory=lambda: response_headers(SitePolicy()))


def read_notebooks(site_dir: Path) -> tuple[NotebookLink, ...]:
    """The notebooks listed in the site's `gallery.json` (none when the site has no gallery)."""
    path = site_dir / GALLERY_JSON
    if not path.is_file():
        return ()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return tuple(
            NotebookLink(n["slug"], n["title"], n["page_url"], n["app_url"]) for n in data["notebooks"]
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise GalleryError(
            f"{path}: not a gallery index ({exc!r}); expected {{'notebooks': [{{'slug', 'title', "
            "'page_url', 'app_url'}]}}. Rebuild the site so the gallery step rewrites it."
        ) from exc


def group_of(path: str, app_pages: dict[str, str]) -> str:
    """Which group a site file belongs to; `app_pages` maps `apps/<slug>.html` to its slug."""
    if path in app_pages:
        return NOTEBOOK_PREFIX + app_pages[path]
    if path.startswith(COMMON_DIRS):
        return COMMON
    return SHELL


def _is_cached(relative: Path) -> bool:
    if any(part.startswith(".") for part in relative.parts):
        return False
    return relative.name not in NOT_CACHED_NAMES and not relative.name.endswith(NOT_CACHED_SUFFIXES)


def content_hash(path: Path) -> str:
    return sha256_file(path)[:HASH_CHARS]


def build_manifest(
    site_dir: Path, notebooks: tuple[NotebookLink, ...], headers: dict[str, str] | None = None
) -> OfflineManifest:
    app_pages = {nb.app_url: nb.slug for nb in notebooks}
    entries = []
    for file in sorted(p for p in site_dir.rglob("*") if p.is_file()):
        relative = file.relative_to(site_dir)
        if _is_cached(relative):
            path = relative.as_posix()
            entries.append(
                ManifestEntry(path, content_hash(file), file.stat().st_size, group_of(path, app_pages))
            )
    digest = hashlib.sha256((TEMPLATES / WORKER_FILE).read_bytes())
    digest.update(json.dumps([[e.path, e.sha, e.group] for e in entries]).encode())
    digest.update(json.dumps(headers or {}).encode())  # new headers: a new worker, a new version
    return OfflineManifest(digest.hexdigest()[:16], tuple(entries))


def render_worker(
    manifest: OfflineManifest, language: Language = DEFAULT_LANGUAGE, headers: dict[str, str] | None = None
) -> str:
    template = (TEMPLATES / WORKER_FILE).read_text(encoding="utf-8")
    fills = {
        _BUILD_PLACEHOLDER: json.dumps(manifest.to_json(), separators=(",", ":")),
        _TEXT_PLACEHOLDER: json.dumps(text("offline_page.fallback", language), ensure_ascii=False),
        _HEADERS_PLACEHOLDER: json.dumps(
            response_headers(SitePolicy()) if headers is None else headers, indent=2
        ),
    }
    for placeholder, value in fills.items():
        if template.count(placeholder) != 1:
            raise GalleryError(f"{TEMPLATES / WORKER_FILE}: expected one `{placeholder}` placeholder")
        template = template.replace(placeholder, value)
    return template


def render_offline_page(
    site_name: str, notebooks: tuple[NotebookLink, ...], language: Language = DEFAULT_LANGUAGE
) -> str:
    """Links are relative to the site root: the worker serves this page with a `<base>` of its scope."""
    items = "\n".join(
        f'      <li data-slug="{html.escape(nb.slug)}"><a href="{html.escape(nb.page_url)}">'
        f'{html.escape(nb.title)}</a> <span class="status"></span></li>'
        for nb in notebooks
    )
    status_text = {
        "ready": text("offline.available", language),
        "online": text("offline.needs_connection", language),
    }
    fills = {
        "lang": language,
        "title": html.escape(text("offline_page.title", language, site=site_name)),
        "site_name": html.escape(site_name),
        "heading": html.escape(text("offline_page.heading", language)),
        "intro": text("offline_page.intro_html", language),
        "hint": html.escape(text("offline_page.hint", language)),
        "status_text": json.dumps(status_text, ensure_ascii=False).replace("<", "\\u003c"),
        "notebooks": items,
    }
    page = (TEMPLATES / OFFLINE_PAGE).read_text(encoding="utf-8")
    for name, value in fills.items():
        page = page.replace("{{" + name + "}}", value)
    return page


def write_offline(request: OfflineRequest) -> OfflineManifest:
    """Write the offline page, the manifest and `sw.js` (last, so a worker only ever sees complete files)."""
    site_dir = request.site_dir
    notebooks = read_notebooks(site_dir)
    write_atomic(site_dir / OFFLINE_PAGE, render_offline_page(request.site_name, notebooks, request.language))
    manifest = build_manifest(site_dir, notebooks, request.headers)
    write_atomic(site_dir / MANIFEST_FILE, json.dumps(manifest.to_json(), indent=0) + "\n")
    write_atomic(site_dir / WORKER_FILE, render_worker(manifest, request.language, request.headers))
    return manifest
