"""A site built with `language: de`: every text of ours on its pages is German (checked against the message
table), mkdocs-material's own texts too, and the pages say `lang="de"`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e.browser import notebook_frame
from e2e.sitebuild import build_site
from playwright.sync_api import Browser, Frame, Page

from mplat.gallery.messages import MESSAGES
from mplat.gallery.preview import SiteServer

# Safari on an iPad: the only browser shown the "Add to Home Screen" hint.
IPAD_SAFARI = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
# A reader on Save-Data: the notebook page shows the "Run interactive" gate instead of booting Python.
SAVE_DATA = "Object.defineProperty(navigator, 'connection', {value: {saveData: true, effectiveType: '4g'}});"

# Everything a reader sees or hears of a page: its text, and the labels of its elements, in open shadow
# roots too (the notebook gate draws its bar in one).
_READABLE = """() => {
  const out = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      for (const name of ['aria-label', 'title', 'alt', 'placeholder']) {
        if (el.getAttribute(name)) out.push(el.getAttribute(name));
      }
      if (el.shadowRoot) { out.push(el.shadowRoot.textContent || ''); visit(el.shadowRoot); }
    }
  };
  out.push(document.title, document.body.innerText);
  visit(document);
  return out.join('\\n');
}"""


def english_left(text: str) -> list[str]:
    """The English messages of the table (those that differ in German) found in `text`.

    A message with placeholders is looked for by its fixed parts of 6 characters or more; a short message
    without any ("All", "Embed") as a whole word.
    """
    found = []
    for key, entry in MESSAGES.items():
        english = re.sub(r"<[^>]+>", "", entry["en"])
        if english == entry["de"]:
            continue
        parts = re.split(r"\{\w+\}", english)
        parts = [english] if len(parts) == 1 else [p.strip(" ·.:") for p in parts if len(p.strip()) >= 6]
        for part in parts:
            if re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text):
                found.append(f"{key}: {part!r}")
    return found


@pytest.fixture(scope="module")
def german_site(shared_project: Callable[..., Path]) -> Iterator[tuple[SiteServer, Path]]:
    project = shared_project(["good_demo"], "      thumbnails_browser: ''\n      language: de\n")
    result = build_site(project, project / "site")
    assert result.returncode == 0, result.stderr
    server = SiteServer(project / "site").start()
    yield server, project / "site"
    server.stop()


def _authors_text(site_dir: Path, text: str) -> str:
    """`text` without what the notebooks' authors wrote (their titles, descriptions, tags)."""
    index = json.loads((site_dir / "gallery.json").read_text(encoding="utf-8"))
    for nb in index["notebooks"]:
        for own in (nb["title"], nb["description"], *nb["tags"]):
            text = text.replace(own, "")
    return text


def _readable(target: Page | Frame) -> str:
    return target.evaluate(_READABLE)


def test_german_build_has_no_english_text_of_ours(
    german_site: tuple[SiteServer, Path], chromium: Browser
) -> None:
    server, site_dir = german_site
    context = chromium.new_context(
        user_agent=IPAD_SAFARI, has_touch=True, is_mobile=True, viewport={"width": 820, "height": 1180}
    )
    context.add_init_script(SAVE_DATA)
    try:
        page = context.new_page()
        seen: dict[str, str] = {}

        page.goto(server.url)
        page.locator(".mplat-install-hint").wait_for()
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.locator("nav.md-header__inner").get_attribute("aria-label") == "Kopfzeile"  # Material's
        seen["/"] = _readable(page)

        page.goto(f"{server.url}gallery/")
        # The offline panel and the cards' badges appear once the service worker answers.
        page.locator(".mplat-offline__button").wait_for()
        page.locator(".mplat-offline-badge").first.wait_for()
        page.locator(".mplat-offline__storage:not(:empty)").wait_for()
        assert page.locator("html").get_attribute("lang") == "de"
        seen["/gallery/"] = _readable(page)

        page.goto(f"{server.url}gallery/good-demo/")
        assert page.locator("html").get_attribute("lang") == "de"
        page.locator(".mplat-embed-toggle").tap()
        seen["/gallery/good-demo/"] = _readable(page)
        frame = notebook_frame(page)
        frame.locator("mplat-gate").wait_for(state="attached")
        assert frame.locator("html").get_attribute("lang") == "de"
        # In the frame, only the gate is ours: the rest is the notebook's own and marimo's.
        seen["notebook gate"] = frame.locator("mplat-gate").evaluate("(e) => e.shadowRoot.textContent")
        assert "Interaktiv ausführen" in seen["notebook gate"]

        page.goto(f"{server.url}offline.html")
        assert page.locator("html").get_attribute("lang") == "de"
        seen["/offline.html"] = _readable(page)
    finally:
        context.close()

    left = {where: english_left(_authors_text(site_dir, text)) for where, text in seen.items()}
    assert all(not found for found in left.values()), left
    assert "Offline verfügbar machen" in seen["/gallery/"] and "Sie sind offline" in seen["/offline.html"]
