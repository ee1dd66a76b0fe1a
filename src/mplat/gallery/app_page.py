"""Everything the build does to an exported notebook page (`apps/<slug>.html`): brand styles, a friendly
message when the notebook fails to load, the analytics script (only when configured), the site's install
tags and the notebook gate (`app_page_transform`), and the snapshot of its stored outputs that the
notebook's gallery page shows until marimo has started (`add_snapshot`)."""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from importlib.resources import files
from pathlib import Path

from .messages import APP_PREFIXES, DEFAULT_LANGUAGE, Language, messages_script
from .pwa import AppIdentity, add_head_tags

ANALYTICS_SCRIPT = "assets/mplat-analytics.js"  # site-relative; exists only when analytics is on
GATE_SCRIPT = Path(__file__).parent / "inline" / "notebook-gate.js"


@dataclass(frozen=True)
class AppPageOptions:
    support_email: str = ""
    analytics: bool = False
    load_timeout_s: int = 180  # no output by then: show the failure message instead of a spinner
    language: Language = DEFAULT_LANGUAGE  # of our messages (load failure, Save-Data gate)


def _resource(name: str) -> str:
    return files("mplat.gallery").joinpath("app", name).read_text(encoding="utf-8")


# The notebooks' brand CSS, published under apps/ with its hash in the name (apps/assets/ is cached for
# good). A linked same-origin file, not an inline <style>: marimo copies only those into the shadow roots
# of its UI elements, and the sliders and buttons live there.
BRAND_CSS = _resource("brand.css")
BRAND_HASH = hashlib.sha256(BRAND_CSS.encode()).hexdigest()[:10]
BRAND_CSS_PATH = f"assets/mplat-brand-{BRAND_HASH}.css"


def write_brand_stylesheet(apps_dir: Path) -> None:
    (apps_dir / BRAND_CSS_PATH).write_text(BRAND_CSS, encoding="utf-8")


def app_head(options: AppPageOptions) -> str:
    config = json.dumps(
        {"supportEmail": options.support_email, "loadTimeoutMs": options.load_timeout_s * 1000}
    )
    parts = [
        f'<link rel="stylesheet" href="./{BRAND_CSS_PATH}" data-mplat>',
        f"<script data-mplat>window.MPLAT_APP = {config};</script>",
        f"<script data-mplat>{messages_script(options.language, APP_PREFIXES)}</script>",
        f"<script data-mplat>{_resource('watch.js')}</script>",
    ]
    if options.analytics:
        parts.append(f'<script data-mplat defer src="../{html.escape(ANALYTICS_SCRIPT)}"></script>')
    return "\n".join(parts)


def brand_app_html(html_text: str, head: str, language: Language = DEFAULT_LANGUAGE) -> str:
    """Dark theme (the brand is black), the site's language and the build's head additions, for one
    exported page."""
    html_text = html_text.replace('"theme": "light"}', '"theme": "dark"}', 1)
    html_text = html_text.replace('<html lang="en">', f'<html lang="{language}">', 1)
    return html_text.replace("</head>", head + "\n</head>", 1)


def analytics_script(domain: str, endpoint: str) -> str:
    """The site's analytics (Plausible's events API), with its settings; no third-party script is loaded."""
    config = json.dumps({"domain": domain, "endpoint": endpoint})
    return f"window.MPLAT_ANALYTICS = {config};\n" + _resource("analytics.js")


_SESSION = re.compile(r'"session":\s*')
_NOT_FOR_THE_PAGE = re.compile(r"<(style|script)\b.*?</\1\s*>|<link\b[^>]*>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def stored_outputs(app_html: str) -> list[dict]:
    """The outputs marimo stored in an exported page (`--execute`): one MIME bundle per cell output."""
    match = _SESSION.search(app_html)
    if match is None:
        return []
    session, _ = json.JSONDecoder().raw_decode(app_html, match.end())
    if not isinstance(session, dict):  # "session": null: exported without --execute
        return []
    return [out.get("data") or {} for cell in session.get("cells", []) for out in cell.get("outputs", [])]


def snapshot_html(outputs: list[dict]) -> str:
    """The stored outputs as plain HTML for the notebook page, shown over the frame until marimo has started
    (pwa.js removes it). Text and HTML only: sliders and charts need marimo's scripts."""
    blocks = []
    for data in outputs:
        body = data.get("text/html") or data.get("text/markdown") or escape(data.get("text/plain") or "")
        body = _NOT_FOR_THE_PAGE.sub("", body)  # outputs' styles and scripts are for the frame
        if _TAGS.sub("", body).strip():
            blocks.append(f'<div class="mplat-snapshot__output">{body}</div>')
    if not blocks:
        return ""
    return f'<div class="mplat-snapshot" aria-hidden="true">{"".join(blocks)}</div>'


def add_snapshot(page_html: str, app_html: str) -> str:
    """Put the snapshot of `app_html`'s stored outputs right after the notebook frame of a notebook page."""
    snapshot = snapshot_html(stored_outputs(app_html))
    frame = re.search(r'<iframe class="mplat-notebook__frame"[^>]*>\s*</iframe>', page_html)
    if not snapshot or frame is None or "mplat-snapshot" in page_html:
        return page_html
    return page_html[: frame.end()] + snapshot + page_html[frame.end() :]


# marimo's own install tags in an exported page: replaced by the site's.
_MARIMO_INSTALL_TAGS = re.compile(
    r'\s*<(?:link rel="(?:manifest|apple-touch-icon)"|meta name="theme-color")[^>]*>', re.IGNORECASE
)
_MODULE_SCRIPT = re.compile(r'<script type="module"[^>]*src="[^"]*/index-[^"]*\.js"', re.IGNORECASE)


def app_page_transform(app: AppIdentity, gate_script: Path = GATE_SCRIPT) -> Callable[[str, str], str]:
    """The `write_apps(transform_html=...)` hook: install tags and the notebook gate for `apps/<slug>.html`."""
    gate = f"<script data-mplat-gate>\n{gate_script.read_text(encoding='utf-8')}\n</script>\n"

    def transform(slug: str, html: str) -> str:
        html = _MARIMO_INSTALL_TAGS.sub("", html)
        match = _MODULE_SCRIPT.search(html)
        if match is None:
            raise ValueError(
                f"apps/{slug}.html: marimo's module script (assets/index-*.js) not found, so the notebook "
                "gate cannot run before it; is the marimo version supported?"
            )
        # The gate must run before marimo's module script creates the Python worker.
        html = html[: match.start()] + gate + html[match.start() :]
        return add_head_tags(html, "../", app)

    return transform
