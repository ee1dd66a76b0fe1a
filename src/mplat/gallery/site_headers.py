"""The site's HTTP response headers: one table, sent alike by CloudFront (infra/services/site.py), `make
preview` and the test servers (preview.py), and the service worker for the responses it serves from its
cache (offline.py writes the table into sw.js). A header only CloudFront sent would be invisible to every
browser test: production refused every notebook frame once that way (`X-Frame-Options: DENY`).

Two parts:
- `response_headers(policy)`: the same on every response (isolation, CSP, security headers);
- `cache_control(path)`: by file name, so that a browser never mixes two builds from its HTTP cache.

The Content-Security-Policy is as strict as the notebooks allow; each exception, measured in Chromium, is
explained beside it and in docs/deploying.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from .errors import GalleryError

HEADERS_FILE = "site-headers.json"  # the built site's table: read by `make preview`, checked by publish-site


@dataclass(frozen=True)
class SitePolicy:
    """What varies between sites: who may frame the pages, and where pages may send data."""

    # Origins (scheme://host[:port]) allowed to show the site's pages in a frame, e.g. a portfolio's.
    embed_origins: tuple[str, ...] = ()
    # Origins pages may send requests to besides the site itself: the analytics endpoint when configured.
    connect_origins: tuple[str, ...] = ()

    @classmethod
    def of(cls, embed_origins: list[str] | tuple[str, ...], analytics_endpoint: str = "") -> SitePolicy:
        """From the settings people write (mkdocs.yml, infra/envs/<env>.toml); errors name the field."""
        embed = tuple(origin_of(o, "embed_origins") for o in embed_origins)
        connect = (origin_of(analytics_endpoint, "analytics_endpoint"),) if analytics_endpoint else ()
        return cls(embed, connect)


def origin_of(url: str, field: str) -> str:
    """`scheme://host[:port]` of `url`; an error naming `field` for anything else (paths are dropped)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname or any(c in url for c in " ;,'\""):
        raise GalleryError(
            f"{field}: {url!r} is not an origin; write it as https://host or https://host:port "
            "(http only for a local test server)"
        )
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost"):
        raise GalleryError(f"{field}: {url!r} must use https (plain http only for 127.0.0.1 or localhost)")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def content_security_policy(policy: SitePolicy) -> str:
    connect = " ".join(("'self'", *policy.connect_origins))
    frame_ancestors = " ".join(("'self'", *policy.embed_origins))
    directives = [
        "default-src 'self'",
        # 'unsafe-inline': marimo's exported page boots from inline scripts whose text differs per notebook
        # and per build (its code and config are inlined), and MkDocs Material inlines small scripts; hashes
        # would change with every build (CloudFront's headers do not), a nonce needs a server.
        # 'wasm-unsafe-eval': Pyodide compiles WebAssembly (pyodide.asm.wasm and packages' .so files).
        # No 'unsafe-eval': marimo's `Function("")` is a feature probe with a fallback (measured).
        # Same-origin scripts cover marimo's kernel worker and the module it imports (a WASM controller).
        "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",
        # blob: workers: in WebKit (Safari on iPad; measured in WebKitGTK 2.50) the notebook's kernel starts a
        # blob: worker while it runs the notebook; with `worker-src 'self'` alone Python starts but the notebook's
        # first run never completes. Chromium needs no such worker. A blob: URL can only be made by a script
        # this policy already let run.
        "worker-src 'self' blob:",
        # marimo and Material set styles inline (style attributes, <style> built at run time).
        "style-src 'self' 'unsafe-inline'",
        # data: fonts are inlined in marimo's page; data: images are a WebP feature probe and plot marks.
        "img-src 'self' data:",
        "font-src 'self' data:",
        f"connect-src {connect}",
        "frame-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        # Who may show these pages in a frame: the site itself (each gallery page frames its notebook)
        # and the configured embed origins. Replaces X-Frame-Options, which cannot name an origin.
        f"frame-ancestors {frame_ancestors}",
    ]
    return "; ".join(directives)


HSTS_MAX_AGE_S = 63072000  # two years


def response_headers(policy: SitePolicy) -> dict[str, str]:
    """Headers every response of the site carries, in a fixed order."""
    return {
        # Cross-origin isolation: SharedArrayBuffer, so a running notebook can be interrupted.
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Embedder-Policy": "require-corp",
        # Not checked for a framed page unless its parent is cross-origin isolated itself: embeds still work.
        "Cross-Origin-Resource-Policy": "same-origin",
        "Content-Security-Policy": content_security_policy(policy),
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Content-Type-Options": "nosniff",
        "Strict-Transport-Security": f"max-age={HSTS_MAX_AGE_S}; includeSubDomains",
    }


# ---------------------------------------------------------------------------------------------------------
# Cache-Control: only content-addressed files may be kept without asking. A file whose name stays while its
# content changes between builds (runtime/pyodide-lock.json, pyodide.asm.wasm, python_stdlib.zip,
# pyodide.mjs, assets/mplat/*.js) is revalidated on every use (`no-cache`: a 304 when unchanged), so a page
# of build B never runs with build A's copy from the HTTP cache.

NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
# A hex hash in the name: `main.6f8fc17f.min.css`, `mplat-brand-3f9a2c1d0e.css`.
_HEX_HASHED_NAME = re.compile(r"[.-][0-9a-f]{8,}\.")
# Vite's hash (8 base64url characters before the extension), only where every name carries one.
_BUNDLER_DIR = "apps/assets/"
_BUNDLER_HASHED_NAME = re.compile(r"-[A-Za-z0-9_-]{8}\.[A-Za-z0-9]+$")
# marimo's kernel worker keeps its hashed name while the build rewrites it (controller.py): its content can
# change under that name when mplat changes, so it is revalidated like any fixed name.
_REWRITTEN_BY_BUILD = re.compile(r"^apps/assets/worker-[A-Za-z0-9_-]{8}\.js$")
# A folder named by its content's hash: the runtime's `packages/<sha256[:16]>/<wheel>`.
_HASHED_FOLDER = re.compile(r"(^|/)[0-9a-f]{16,}/")
# Entry points are always revalidated, wherever they are and whatever their name.
_ENTRY = re.compile(r"(\.html?|^sw\.js|\.webmanifest|^manifest\.json)$")


def is_entry(path: str) -> bool:
    return bool(_ENTRY.search(PurePosixPath(path).name))


def is_content_addressed(path: str) -> bool:
    name = PurePosixPath(path).name
    if _REWRITTEN_BY_BUILD.match(path):
        return False
    if path.startswith(_BUNDLER_DIR) and _BUNDLER_HASHED_NAME.search(name):
        return True
    return bool(_HEX_HASHED_NAME.search(name) or _HASHED_FOLDER.search(path))


def cache_control(path: str) -> str:
    """Cache-Control for a site-relative path."""
    if is_entry(path) or not is_content_addressed(path):
        return NO_CACHE
    return IMMUTABLE


# ---------------------------------------------------------------------------------------------------------
# The built site's copy of the table


def write_headers_file(site_dir: Path, headers: dict[str, str]) -> None:
    (site_dir / HEADERS_FILE).write_text(json.dumps(headers, indent=1) + "\n", encoding="utf-8")


def read_headers_file(site_dir: Path) -> dict[str, str] | None:
    path = site_dir / HEADERS_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise GalleryError(f"{path}: not JSON ({exc}); rebuild the site (`make site`)") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise GalleryError(f"{path}: expected an object of header names to values; rebuild the site")
    return data
