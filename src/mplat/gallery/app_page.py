"""What the build adds to every exported notebook page (`apps/<slug>.html`): brand styles, a friendly
message when the notebook fails to load, and (only when configured) the analytics script."""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from .messages import APP_PREFIXES, DEFAULT_LANGUAGE, Language, messages_script

ANALYTICS_SCRIPT = "assets/mplat-analytics.js"  # site-relative; exists only when analytics is on


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
