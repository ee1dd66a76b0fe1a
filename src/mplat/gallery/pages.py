"""The gallery's pages (as Markdown for MkDocs to render) and `gallery.json`."""

from __future__ import annotations

import html
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from .model import Notebook


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


def gallery_index(notebooks: list[Notebook], thumbnails: dict[str, str | None]) -> dict:
    return {
        "notebooks": [
            {
                "slug": nb.slug,
                "title": nb.title,
                "description": nb.description,
                "tags": list(nb.tags),
                "page_url": nb.page_url,
                "app_url": nb.app_file,
                "thumbnail_url": thumbnails.get(nb.slug),
                "updated": last_updated(nb.path),
            }
            for nb in notebooks
        ]
    }


def gallery_json(notebooks: list[Notebook], thumbnails: dict[str, str | None]) -> str:
    return json.dumps(gallery_index(notebooks, thumbnails), indent=2, ensure_ascii=False) + "\n"


def _front_matter(title: str, description: str) -> str:
    return (
        "---\n"
        f"title: {json.dumps(title)}\n"
        f"description: {json.dumps(description)}\n"
        "hide:\n  - navigation\n  - toc\n"
        "---\n\n"
    )


def notebook_page(nb: Notebook) -> str:
    """`gallery/<slug>/`: the notebook full-bleed. URLs are relative so the site works under a sub-path."""
    title = html.escape(nb.title)
    return (
        _front_matter(nb.title, nb.description) + f'<div class="mplat-notebook" data-slug="{nb.slug}">\n'
        f'<iframe class="mplat-notebook__frame" src="../../{nb.app_file}" title="{title}" '
        'allow="fullscreen; clipboard-write" loading="eager"></iframe>\n'
        "</div>\n"
    )


def gallery_page(notebooks: list[Notebook]) -> str:
    cards = "\n".join(
        f'<li class="mplat-card" data-tags="{html.escape(" ".join(nb.tags))}">'
        f'<a href="../{nb.page_url}"><h2>{html.escape(nb.title)}</h2>'
        f"<p>{html.escape(nb.description)}</p></a></li>"
        for nb in notebooks
    )
    return _front_matter("Gallery", "Interactive demos that run in your browser") + (
        f'# Gallery\n\n<ul class="mplat-cards">\n{cards}\n</ul>\n'
    )
