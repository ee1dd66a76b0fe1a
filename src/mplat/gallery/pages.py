"""The gallery's pages (Markdown with HTML blocks, rendered by MkDocs) and `gallery.json`.

Every URL is relative so the site works from the root and from a sub-path. Page URLs
(`gallery/<slug>/`, `apps/<slug>.html`) are the portfolio's links: never change them for an existing slug.
"""

from __future__ import annotations

import html
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from . import server_tier
from .messages import DEFAULT_LANGUAGE, Language, text
from .model import Notebook, SkippedNotebook

DOWNLOADS_DIR = "downloads"  # notebook sources offered as "Download .py"
THUMBNAILS_DIR = "assets/thumbnails"


def last_updated(path: Path) -> str:
    """The notebook's last commit date (ISO 8601), or its file time when it is not committed."""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%cI", "--", path.name],
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    if out:
        return out
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")


def thumbnail_url(slug: str) -> str:
    return f"{THUMBNAILS_DIR}/{slug}.webp"


def gallery_entry(nb: Notebook, thumbnail: str | None, server_url: str = "") -> dict:
    """One notebook in `gallery.json` (schema: gallery.schema.json). A server notebook's `app_url` is its
    build-time preview; `server_url` opens it on the server tier (null when the site has no server)."""
    entry = {
        "slug": nb.slug,
        "title": nb.title,
        "description": nb.description,
        "tags": list(nb.tags),
        "tier": nb.tier,
        "page_url": nb.page_url,
        "app_url": nb.app_file,
        "thumbnail_url": thumbnail,
        "updated": last_updated(nb.path),
    }
    if nb.tier == "server":
        entry["server_url"] = server_tier.open_url(server_url, nb)
    return entry


def gallery_index(notebooks: list[Notebook], thumbnails: dict[str, str | None], server_url: str = "") -> dict:
    return {"notebooks": [gallery_entry(nb, thumbnails.get(nb.slug), server_url) for nb in notebooks]}


def gallery_json(notebooks: list[Notebook], thumbnails: dict[str, str | None], server_url: str = "") -> str:
    return json.dumps(gallery_index(notebooks, thumbnails, server_url), indent=2, ensure_ascii=False) + "\n"


def _front_matter(title: str, description: str, extra: str = "") -> str:
    return (
        "---\n"
        f"title: {json.dumps(title)}\n"
        f"description: {json.dumps(description)}\n"
        "hide:\n  - navigation\n  - toc\n"
        f"{extra}"
        "---\n\n"
    )


def _tags(tags: tuple[str, ...]) -> str:
    return "".join(f'<span class="mplat-tag">{html.escape(t)}</span>' for t in tags)


def embed_snippet(nb: Notebook, base_url: str) -> str:
    """The iframe a portfolio pastes; `base_url` is the site's public URL (may be empty: filled in by JS)."""
    return (
        f'<iframe src="{base_url}{nb.app_file}" title="{html.escape(nb.title)}" '
        'style="width:100%;height:720px;border:0" loading="lazy" allow="fullscreen; clipboard-write"></iframe>'
    )


def notebook_page(nb: Notebook, base_url: str = "", language: Language = DEFAULT_LANGUAGE) -> str:
    """`gallery/<slug>/`: title and actions, then the notebook full-bleed."""

    def t(key: str) -> str:
        return html.escape(text(key, language))

    title = html.escape(nb.title)
    snippet = html.escape(embed_snippet(nb, base_url))
    return _front_matter(nb.title, nb.description, f"tags: {json.dumps(list(nb.tags))}\n") + (
        f"# {nb.title}\n\n"
        f'<div class="mplat-notebook-header">\n'
        f'<p class="mplat-description">{html.escape(nb.description)}</p>\n'
        f'<p class="mplat-tags">{_tags(nb.tags)}</p>\n'
        f'<p class="mplat-actions">'
        f'<a class="md-button md-button--primary" href="../../{nb.app_file}">{t("notebook.open_full_screen")}</a> '
        f'<a class="md-button" href="../../{DOWNLOADS_DIR}/{nb.slug}.py" download="{nb.path.name}">{t("notebook.download")}</a> '
        f'<button type="button" class="md-button mplat-embed-toggle" aria-expanded="false">{t("notebook.embed")}</button>'
        f"</p>\n"
        f'<div class="mplat-embed" hidden>'
        f'<label for="embed-{nb.slug}">{t("notebook.embed_label")}</label>'
        f'<textarea id="embed-{nb.slug}" class="mplat-embed__code" readonly rows="3" '
        f'data-app-path="{nb.app_file}">{snippet}</textarea>'
        f'<button type="button" class="md-button mplat-embed__copy">{t("notebook.embed_copy")}</button>'
        f"</div>\n"
        f"</div>\n\n"
        f'<div class="mplat-notebook" data-slug="{nb.slug}">\n'
        f'<iframe class="mplat-notebook__frame" src="../../{nb.app_file}" title="{title}" '
        'allow="fullscreen; clipboard-write" loading="eager"></iframe>\n'
        "</div>\n"
    )


def _server_status(server_url: str, language: Language, element: str = "span") -> str:
    """The server tier's badge and, without a server, the plain words that say so. With a server,
    gallery.js puts `data-offline-note` in the note while the browser is offline."""
    note = "" if server_url else html.escape(text("tier.no_server", language))
    return (
        f'<{element} class="mplat-server">'
        f'<span class="mplat-server__badge">{html.escape(text("tier.badge", language))}</span> '
        f'<span class="mplat-server__note" data-offline-note="{html.escape(text("tier.offline", language))}" '
        f'aria-live="polite">{note}</span></{element}>'
    )


def _card(nb: Notebook, thumbnail: str | None, server_url: str, language: Language) -> str:
    img = (
        f'<img class="mplat-card__thumb" src="../{thumbnail}" alt="" width="640" height="400" loading="lazy">'
        if thumbnail
        else ""
    )
    server = nb.tier == "server"
    return (
        f'<li class="mplat-card{" mplat-card--server" if server else ""}" data-slug="{nb.slug}" '
        f'data-tier="{nb.tier}" data-tags="{html.escape("|".join(nb.tags))}">'
        f'<a class="mplat-card__link" href="../{nb.page_url}">{img}'
        f'<span class="mplat-card__body"><span class="mplat-card__title">{html.escape(nb.title)}</span>'
        f'<span class="mplat-card__description">{html.escape(nb.description)}</span>'
        f"{_server_status(server_url, language) if server else ''}"
        f'<span class="mplat-tags">{_tags(nb.tags)}</span></span></a></li>'
    )


def server_notebook_page(nb: Notebook, server_url: str = "", language: Language = DEFAULT_LANGUAGE) -> str:
    """`gallery/<slug>/` of a server notebook: badge, "Open on the server" (a disabled button when there is
    no server, or offline: never a dead link), then the build-time preview full-bleed."""

    def t(key: str) -> str:
        return html.escape(text(key, language))

    link = server_tier.open_url(server_url, nb)
    button = "md-button md-button--primary mplat-open-server"
    if link:
        open_button = f'<a class="{button}" href="{html.escape(link)}" rel="noopener">{t("tier.open")}</a>'
    else:
        open_button = f'<button type="button" class="{button}" disabled>{t("tier.open")}</button>'
    return _front_matter(nb.title, nb.description, f"tags: {json.dumps(list(nb.tags))}\n") + (
        f"# {nb.title}\n\n"
        f'<div class="mplat-notebook-header">\n'
        f'<p class="mplat-description">{html.escape(nb.description)}</p>\n'
        f'<p class="mplat-tags">{_tags(nb.tags)}</p>\n'
        f"{_server_status(server_url, language, 'p')}\n"
        f'<p class="mplat-actions">{open_button} '
        f'<a class="md-button" href="../../{DOWNLOADS_DIR}/{nb.slug}.py" download="{nb.path.name}">'
        f"{t('notebook.download')}</a></p>\n"
        f'<p class="mplat-preview-note">{t("tier.preview_note")}</p>\n'
        f"</div>\n\n"
        f'<div class="mplat-notebook mplat-notebook--preview" data-slug="{nb.slug}" data-tier="server">\n'
        f'<iframe class="mplat-notebook__frame" src="../../{nb.app_file}" '
        f'title="{html.escape(text("tier.preview_title", language, title=nb.title))}" loading="eager"></iframe>\n'
        "</div>\n"
    )


def _warning_card(skipped: SkippedNotebook, language: Language) -> str:
    title = text("gallery.unavailable", language, slug=skipped.slug)
    description = text("gallery.skipped", language, reason=skipped.reason)
    return (
        f'<li class="mplat-card mplat-card--warning" data-slug="{skipped.slug}" data-tags="">'
        f'<span class="mplat-card__body"><span class="mplat-card__title">{html.escape(title)}</span>'
        f'<span class="mplat-card__description">{html.escape(description)}</span></span></li>'
    )


def gallery_page(
    notebooks: list[Notebook],
    thumbnails: dict[str, str | None] | None = None,
    skipped: list[SkippedNotebook] | None = None,
    language: Language = DEFAULT_LANGUAGE,
    server_url: str = "",
) -> str:
    def t(key: str) -> str:
        return html.escape(text(key, language))

    thumbnails = thumbnails or {}
    tags = sorted({t for nb in notebooks for t in nb.tags}, key=str.lower)
    buttons = "".join(
        f'<button type="button" class="mplat-filter__tag" data-tag="{html.escape(t)}" aria-pressed="false">'
        f"{html.escape(t)}</button>"
        for t in tags
    )
    cards = "\n".join(
        [_card(nb, thumbnails.get(nb.slug), server_url, language) for nb in notebooks]
        + [_warning_card(s, language) for s in skipped or []]
    )
    has_server = any(nb.tier == "server" for nb in notebooks)
    server_intro = (
        " " + text("tier.gallery_intro", language, badge=text("tier.badge", language)) if has_server else ""
    )
    title = text("gallery.title", language)
    return _front_matter(title, text("gallery.description", language)) + (
        f"# {t('gallery.title')}\n\n"
        f"{t('gallery.intro')}{html.escape(server_intro)}\n\n"
        f'<div class="mplat-filter" role="group" aria-label="{t("gallery.filter_label")}">'
        f'<button type="button" class="mplat-filter__tag" data-tag="" aria-pressed="true">'
        f"{t('gallery.filter_all')}</button>{buttons}"
        "</div>\n\n"
        f'<ul class="mplat-cards">\n{cards}\n</ul>\n'
    )
