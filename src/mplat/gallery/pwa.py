"""Make the site an installable app (iPad home screen, desktop/Android install) and gate notebook boots.

- `write_install_files` writes `manifest.webmanifest`, the icons (drawn here with Pillow: the gold sun of
  `docs/assets/logo.svg` on black) and `apple-touch-icon.png` at the site root.
- `head_tags` / `add_head_tags` put the manifest, icons and Apple web-app meta tags in a page's `<head>`.
The exported pages' own transforms (the gate, the output snapshot) are in `app_page.py`.
"""

from __future__ import annotations

import functools
import io
import json
from dataclasses import dataclass
from html import escape
from pathlib import Path

from PIL import Image, ImageDraw

from .brand import BLACK, GOLD

MANIFEST_FILE = "manifest.webmanifest"
APPLE_TOUCH_ICON = "apple-touch-icon.png"  # iOS also looks for this name at the site root
_SUPERSAMPLE = 4  # draw large, then downscale: Pillow's shapes are not anti-aliased


@dataclass(frozen=True)
class Icon:
    path: str  # site-relative
    size: int
    purpose: str  # "any": shown as drawn; "maskable": the platform crops it to its own shape
    rounded: bool = False  # transparent rounded corners, like the logo


ICONS = (
    Icon("icons/icon-192.png", 192, "any", rounded=True),
    Icon("icons/icon-512.png", 512, "any", rounded=True),
    Icon("icons/icon-maskable-192.png", 192, "maskable"),
    Icon("icons/icon-maskable-512.png", 512, "maskable"),
)
APPLE_ICON = Icon(APPLE_TOUCH_ICON, 180, "any")  # iOS rounds the corners itself: full-bleed black


@dataclass(frozen=True)
class AppIdentity:
    name: str
    short_name: str
    description: str = ""
    start_path: str = "gallery/"  # relative to the site root: the app opens on the gallery


def draw_mark(size: int, *, padding: float = 0.0, rounded: bool = False) -> Image.Image:
    """The logo (64-unit grid of logo.svg): a gold sun over a horizon line on black.

    `padding` shrinks the mark towards the centre (maskable icons keep it inside the 80 % safe zone).
    """
    big = size * _SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if rounded:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 12 / 64, fill=BLACK)
    else:
        draw.rectangle((0, 0, big, big), fill=BLACK)
    scale = big * (1 - 2 * padding) / 64
    offset = big * padding

    def pt(x: float, y: float) -> tuple[float, float]:
        return (offset + x * scale, offset + y * scale)

    def stroke(x1: float, y1: float, x2: float, y2: float) -> None:
        width = 4 * scale
        draw.line((pt(x1, y1), pt(x2, y2)), fill=GOLD, width=round(width))
        for x, y in ((x1, y1), (x2, y2)):  # round line caps
            cx, cy = pt(x, y)
            draw.ellipse((cx - width / 2, cy - width / 2, cx + width / 2, cy + width / 2), fill=GOLD)

    cx, cy = pt(32, 36)
    r = 12 * scale
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=GOLD)
    for ray in (
        (32, 10, 32, 18),
        (12, 36, 6, 36),
        (58, 36, 52, 36),
        (16.4, 20.4, 21.4, 25.4),
        (47.6, 20.4, 42.6, 25.4),
    ):
        stroke(*ray)
    stroke(8, 54, 56, 54)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def manifest(app: AppIdentity) -> dict:
    """The web app manifest. Every URL is relative to the manifest, so the site works under a sub-path."""
    return {
        "name": app.name,
        "short_name": app.short_name,
        "description": app.description,
        "id": f"./{app.start_path}",
        "start_url": f"./{app.start_path}",
        "scope": "./",
        "display": "standalone",
        "orientation": "any",
        "theme_color": GOLD,
        "background_color": BLACK,
        "icons": [
            {
                "src": icon.path,
                "sizes": f"{icon.size}x{icon.size}",
                "type": "image/png",
                "purpose": icon.purpose,
            }
            for icon in ICONS
        ],
    }


@functools.cache  # drawn once per process: `mkdocs serve` rebuilds would redraw them on every save (~1 s)
def _icon_png(size: int, padding: float, rounded: bool) -> bytes:
    out = io.BytesIO()
    draw_mark(size, padding=padding, rounded=rounded).save(out, "PNG", optimize=True)
    return out.getvalue()


def write_install_files(site_dir: Path, app: AppIdentity) -> list[Path]:
    """Write the manifest and every icon into `site_dir`; returns the written files."""
    written: list[Path] = []
    for icon in (*ICONS, APPLE_ICON):
        padding = 0.15 if icon.purpose == "maskable" else 0.0  # maskable: inside the 80 % safe circle
        target = site_dir / icon.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_icon_png(icon.size, padding, icon.rounded))
        written.append(target)
    target = site_dir / MANIFEST_FILE
    target.write_text(json.dumps(manifest(app), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(target)
    return written


def head_tags(root: str, app: AppIdentity) -> str:
    """Install tags for a page whose site root is at the relative URL `root` (e.g. "../../")."""
    title = escape(app.short_name)
    return "\n".join(
        (
            "<!-- mplat: installable app -->",
            f'<link rel="manifest" href="{root}{MANIFEST_FILE}">',
            f'<meta name="theme-color" content="{GOLD}">',
            f'<link rel="apple-touch-icon" sizes="180x180" href="{root}{APPLE_TOUCH_ICON}">',
            '<meta name="apple-mobile-web-app-capable" content="yes">',
            '<meta name="mobile-web-app-capable" content="yes">',
            '<meta name="apple-mobile-web-app-status-bar-style" content="black">',
            f'<meta name="apple-mobile-web-app-title" content="{title}">',
        )
    )


def add_head_tags(html: str, root: str, app: AppIdentity) -> str:
    if "<!-- mplat: installable app -->" in html or "</head>" not in html:
        return html
    return html.replace("</head>", head_tags(root, app) + "\n</head>", 1)
