"""Card thumbnails: a screenshot of the running notebook in headless Chromium, cached by content key.

Without a browser (or when a notebook does not settle in time), a generated branded card is used
instead — never a broken image.
"""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont

from mplat.files import write_atomic

from .brand import BLACK, GOLD
from .model import Notebook

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

SIZE = (640, 400)  # card thumbnails: 16:10
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
THUMBNAIL_VERSION = "3"  # 2: the most telling output, not the top of the page; 3: its drawn part
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# A signature of what the page shows: when it stops changing (and nothing is computing), the notebook
# has finished its first run — or, with Python held, rendered the outputs computed at build time.
# data-mplat-kernel is set by the notebook gate (inline/notebook-gate.js).
_SIGNATURE = """(kernelState) => (document.querySelector('.output-area') === null
  || document.documentElement.getAttribute('data-mplat-kernel') !== kernelState
  || document.querySelectorAll('.marimo-output-loading, .marimo-output-stale').length > 0)
  ? null : document.querySelectorAll('*').length + ':' + document.body.innerText.length"""
STABLE_FOR_S = 2.5
# The output a card shows: the named cell's (`[tool.mplat] thumbnail = "<cell function name>"`), else the
# notebook's first chart; marked for the screenshot. False: neither exists (the top of the page is shown).
_TELLING_OUTPUT = """(cell) => {
  const CHART = 'marimo-plotly, marimo-vega, .vega-embed, canvas, img, svg.main-svg';
  const areas = [...document.querySelectorAll(
    cell ? `[data-cell-name="${CSS.escape(cell)}"] .output-area` : '.output-area')];
  const pick = cell ? areas[0] : areas.find((area) => area.querySelector(CHART));
  if (!pick) return false;
  document.querySelectorAll('[data-mplat-thumbnail]').forEach((e) => e.removeAttribute('data-mplat-thumbnail'));
  pick.setAttribute('data-mplat-thumbnail', '');
  // Overlays fixed to the window (marimo's menu button and badge) would sit on the chart.
  for (const el of document.querySelectorAll('body *')) {
    if (getComputedStyle(el).position === 'fixed') el.style.visibility = 'hidden';
  }
  return true;
}"""
# Tells the notebook gate to hold Python for good and show the page as a reader sees it.
SNAPSHOT_SCRIPT = "window.MPLAT_SNAPSHOT = true;"


@dataclass(frozen=True)
class ThumbnailJob:
    notebook: Notebook
    key: str  # the export's content key (notebook, marimo, options, libraries, data) and the brand CSS
    outputs_in_page: bool | None = None  # None: as `make_thumbnails` is told for every notebook


def branded_card(title: str) -> bytes:
    """A black card with the title in gold, for builds without a browser."""
    image = Image.new("RGB", SIZE, BLACK)
    draw = ImageDraw.Draw(image)
    draw.rectangle([8, 8, SIZE[0] - 9, SIZE[1] - 9], outline=GOLD, width=4)
    draw.ellipse([SIZE[0] - 130, 40, SIZE[0] - 50, 120], fill=GOLD)
    font = ImageFont.load_default(size=44)
    words, lines, line = title.split(), [], ""
    for word in words:
        if draw.textlength(f"{line} {word}".strip(), font=font) > SIZE[0] - 120 and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    for i, text in enumerate(lines[:4]):
        draw.text((48, 170 + i * 56), text, fill=GOLD, font=font)
    return _webp(image)


def _webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "WEBP", quality=82, method=4)
    return out.getvalue()


def _from_screenshot(png: bytes, whole: bool = False) -> bytes:
    """Fit a screenshot into the card: a page as wide as the card with its top kept; an output (`whole`)
    entirely, as large as fits, centred on black."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if whole:
        # A chart's empty black margins would take the card's room: keep what is drawn, plus a border.
        drawn = image.convert("L").point(lambda v: 255 if v > 24 else 0).getbbox()
        if drawn:
            pad = 12
            image = image.crop(
                (max(drawn[0] - pad, 0), max(drawn[1] - pad, 0),
                 min(drawn[2] + pad, image.width), min(drawn[3] + pad, image.height))
            )  # fmt: skip
        image.thumbnail(SIZE)  # shrinks only
    else:
        image.thumbnail((SIZE[0], 10_000))
        if image.height >= SIZE[1]:
            return _webp(image.crop((0, 0, SIZE[0], SIZE[1])))
    card = Image.new("RGB", SIZE, BLACK)
    card.paste(image, ((SIZE[0] - image.width) // 2, (SIZE[1] - image.height) // 2))
    return _webp(card)


def telling_thumbnail(page, cell: str = "") -> bytes:  # type: ignore[no-untyped-def]
    """The card image: the notebook's most telling output (a named cell's, else its first chart), or the
    top of the page when it has neither."""
    if page.evaluate(_TELLING_OUTPUT, cell):
        return _from_screenshot(
            page.locator("[data-mplat-thumbnail]").first.screenshot(type="png"), whole=True
        )
    return _from_screenshot(page.screenshot(type="png"))


def wait_until_settled(page, deadline: float, kernel_state: str = "ready") -> None:  # type: ignore[no-untyped-def]
    """Wait until the notebook's outputs exist and have not changed for STABLE_FOR_S seconds, with the
    page's kernel in `kernel_state` ("ready": Python ran the notebook; "held": Python never started)."""
    last, since = None, time.monotonic()
    while True:
        now = time.monotonic()
        if now > deadline:
            raise TimeoutError("notebook did not settle")
        signature = page.evaluate(_SIGNATURE, kernel_state)
        if signature is None or signature != last:
            last, since = signature, now
        elif now - since >= STABLE_FOR_S:
            return
        time.sleep(0.25)


def cached_path(cache_dir: Path, job: ThumbnailJob) -> Path:
    return cache_dir / "thumbnails" / f"{job.key}-{THUMBNAIL_VERSION}.webp"


def latest_path(cache_dir: Path, slug: str) -> Path:
    """The notebook's most recent thumbnail, whatever its key: a quick build's stand-in."""
    return cache_dir / "thumbnails" / f"latest-{slug}.webp"


def stand_ins(jobs: list[ThumbnailJob], cache_dir: Path) -> dict[str, Path]:
    """Quick builds (`mkdocs serve`): the cached thumbnail, else the notebook's previous one, else a
    generated card; nothing is rendered (a full build renders what is missing)."""
    paths = {}
    for job in jobs:
        slug = job.notebook.slug
        exact, latest = cached_path(cache_dir, job), latest_path(cache_dir, slug)
        if exact.exists() or latest.exists():
            paths[slug] = exact if exact.exists() else latest
            continue
        card = cache_dir / "thumbnails" / f"card-{slug}.webp"
        card.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(card, branded_card(job.notebook.title))
        paths[slug] = card
    return paths


def make_thumbnails(
    jobs: list[ThumbnailJob],
    cache_dir: Path,
    stage_site: Callable[[Path], None],
    browser_path: str | None,
    outputs_in_page: bool = False,
    timeout_s: float = 420,
    log: Callable[[str], None] = print,
) -> tuple[dict[str, Path], list[str]]:
    """Thumbnails for every job (slug → webp path) and the slugs rendered now (cache misses).

    `stage_site(dir)` writes apps/ and runtime/ into `dir` so the notebooks can run from a local server.
    With `outputs_in_page` (exports carry the outputs computed at build time) the screenshot shows those
    and Python never starts: a few seconds a notebook instead of a Pyodide boot.
    """
    paths = {job.notebook.slug: cached_path(cache_dir, job) for job in jobs}
    todo = [job for job in jobs if not paths[job.notebook.slug].exists()]
    if not todo:
        return paths, []
    paths[todo[0].notebook.slug].parent.mkdir(parents=True, exist_ok=True)
    shots = _screenshots(todo, cache_dir, stage_site, browser_path, outputs_in_page, timeout_s, log)
    browser_ran = shots is not None
    for job in todo:
        slug = job.notebook.slug
        data = (shots or {}).get(slug)
        if data is None:
            log(f"{slug}: thumbnail is a generated card (no screenshot)")
            data = branded_card(job.notebook.title)
            if browser_ran:
                # The screenshot failed this time (e.g. a slow machine): use the card now, retry next build.
                paths[slug] = paths[slug].with_name(f"retry-{slug}.webp")
        write_atomic(paths[slug], data)  # builds sharing the cache may render the same card at once
        write_atomic(latest_path(cache_dir, slug), data)
    return paths, [job.notebook.slug for job in todo]


def _screenshots(
    jobs: list[ThumbnailJob],
    cache_dir: Path,
    stage_site: Callable[[Path], None],
    browser_path: str | None,
    outputs_in_page: bool,
    timeout_s: float,
    log: Callable[[str], None],
) -> dict[str, bytes] | None:
    """Screenshots by slug; None when no browser could be used at all."""
    if not browser_path or not Path(browser_path).exists():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    from .preview import SiteServer

    stage = cache_dir / "thumbnail-stage"
    shutil.rmtree(stage, ignore_errors=True)
    stage_site(stage)
    server = SiteServer(stage).start()
    shots: dict[str, bytes] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT)
            # Thumbnails never touch the network: only the local staging server answers.
            context.route(
                "**/*", lambda r: r.continue_() if r.request.url.startswith(server.url) else r.abort()
            )
            held = {
                job.notebook.slug: outputs_in_page if job.outputs_in_page is None else job.outputs_in_page
                for job in jobs
            }
            pages = {job.notebook.slug: context.new_page() for job in jobs}
            jobs_by_slug = {job.notebook.slug: job for job in jobs}
            for slug, page in pages.items():  # all boot in parallel
                if held[slug]:
                    page.add_init_script(SNAPSHOT_SCRIPT)
                page.goto(f"{server.url}apps/{slug}.html", wait_until="domcontentloaded")
            deadline = time.monotonic() + timeout_s
            for slug, page in pages.items():
                try:
                    wait_until_settled(page, deadline, "held" if held[slug] else "ready")
                    shots[slug] = telling_thumbnail(page, jobs_by_slug[slug].notebook.thumbnail_cell)
                    log(f"{slug}: thumbnail taken")
                except Exception as exc:  # a thumbnail must never fail the build
                    log(f"{slug}: no screenshot ({type(exc).__name__})")
            browser.close()
    except Exception as exc:  # e.g. the browser cannot start here
        log(f"thumbnails: browser unavailable ({exc}); using generated cards")
        return None
    finally:
        server.stop()
        shutil.rmtree(stage, ignore_errors=True)
    return shots
