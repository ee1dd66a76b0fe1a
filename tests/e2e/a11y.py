"""Measuring a page as a person on a touch device meets it: the hit areas of its controls and the size of its
text, from Chromium's computed layout, and axe-core's accessibility rules (the npm package in node_modules).

Everything is read in open shadow roots too: marimo draws its sliders, dropdowns and buttons in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Frame, Page

from .sitebuild import NPM

MIN_TARGET_PX = 44  # WCAG 2.5.5 (AAA) and Apple's Human Interface Guidelines
MIN_TEXT_PX = 16
AXE_SOURCE = NPM / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")

# Safari on an iPad and on an iPhone: the "Add to Home Screen" hint (one of our controls) shows only there.
IPAD_SAFARI = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
# Browser contexts for the two devices: touch, so Chromium reports `(pointer: coarse)`.
DEVICES: dict[str, dict] = {
    "ipad": {
        "viewport": {"width": 820, "height": 1180},
        "has_touch": True,
        "is_mobile": True,
        "user_agent": IPAD_SAFARI,
    },
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "has_touch": True,
        "is_mobile": True,
        "user_agent": IPHONE_SAFARI,
    },
}

# What a finger can press: links, form controls, ARIA widgets. A label counts when pressing it toggles a
# checkbox or radio (mkdocs-material's menu and search buttons are such labels).
_CONTROLS = """(minPx) => {
  const SELECTOR = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], ' +
    '[role=slider], [role=tab], [role=checkbox], [role=switch], [role=radio], [role=combobox], ' +
    '[role=menuitem], [role=option], [role=link], label[for]';
  const toggles = (label) => {
    const target = label.getRootNode().getElementById(label.htmlFor);
    return Boolean(target) && ['checkbox', 'radio'].includes(target.type);
  };
  // A link inside a sentence is exempt (WCAG 2.5.5 "inline"): its size is the line's.
  const inSentence = (el) => getComputedStyle(el).display === 'inline' && el.parentElement &&
    el.parentElement.textContent.trim().length > el.textContent.trim().length;
  const deepest = (x, y) => {
    let root = document, el = null;
    for (;;) {
      const hit = root.elementFromPoint(x, y);
      if (!hit || hit === el) return el;
      el = hit;
      if (!hit.shadowRoot) return el;
      root = hit.shadowRoot;
    }
  };
  const within = (outer, node) => {
    for (let n = node; n; n = n.parentNode || n.host) if (n === outer) return true;
    return false;
  };
  const small = [];
  let count = 0;
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.matches(SELECTOR) && !(el.tagName === 'LABEL' && !toggles(el)) && !inSentence(el)) {
        el.scrollIntoView({block: 'center', inline: 'center'});
        const r = el.getBoundingClientRect();
        // Only what a finger can reach: on screen and not covered (hidden menus, closed dialogs are not).
        if (r.width > 0 && r.height > 0 && within(el, deepest(r.x + r.width / 2, r.y + r.height / 2))) {
          count += 1;
          if (r.width < minPx - 0.5 || r.height < minPx - 0.5) {
            const name = (el.getAttribute('aria-label') || el.innerText || el.title || '').trim().slice(0, 40);
            small.push(`${el.tagName.toLowerCase()}${el.getAttribute('role') ? '[role=' + el.getAttribute('role') + ']' : ''}` +
              `.${String(el.className).split(' ')[0]} "${name}" ${Math.round(r.width)}x${Math.round(r.height)}`);
          }
        }
      }
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(document);
  window.scrollTo(0, 0);
  return {count, small};
}"""

# Every visible text of the page; chart text (SVG) is the figure's own, drawn to scale with the chart.
_SMALL_TEXT = """([minPx, skip]) => {
  const small = new Set();
  const visit = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el || el.closest('script, style, svg') || el.closest(skip)) continue;
      if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
      const px = parseFloat(getComputedStyle(el).fontSize);
      if (px < minPx - 0.01) small.add(`${el.tagName.toLowerCase()}.${String(el.className).split(' ')[0]} ` +
        `"${n.textContent.trim().slice(0, 30)}" ${px}px`);
    }
    for (const e of root.querySelectorAll('*')) if (e.shadowRoot) visit(e.shadowRoot);
  };
  visit(document.body);
  return [...small];
}"""

# mkdocs-material's chrome around the content: its header title, navigation drawer and footer use its own
# type scale, and are not the page's text.
_CHROME = ".md-header, .md-footer, .md-sidebar, .md-search, .md-tabs, .md-nav"


@dataclass(frozen=True)
class Targets:
    count: int  # controls a finger can reach on the page
    small: list[str]  # those smaller than MIN_TARGET_PX either way, described


def touch_targets(target: Page | Frame) -> Targets:
    found = target.evaluate(_CONTROLS, MIN_TARGET_PX)
    return Targets(found["count"], found["small"])


def small_text(target: Page | Frame) -> list[str]:
    """Visible text under MIN_TEXT_PX, mkdocs-material's header, drawer and footer aside."""
    return target.evaluate(_SMALL_TEXT, [MIN_TEXT_PX, _CHROME])


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    target: str  # CSS selector of the element (through shadow roots: " >> ")
    help: str


def axe_violations(target: Page | Frame, source: Path = AXE_SOURCE) -> list[Violation]:
    """axe-core's serious and critical findings for the document of `target` (a page or one frame).

    The script is evaluated, not added as a <script> tag, so a Content-Security-Policy cannot block it.
    """
    target.evaluate(source.read_text(encoding="utf-8") + "\n;0")
    found = target.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ['violations'], iframes: false});
          return result.violations.flatMap((v) => v.nodes.map((n) => ({
            rule: v.id, impact: n.impact || v.impact || '', help: v.help,
            target: n.target.map((t) => Array.isArray(t) ? t.join(' >> ') : t).join(' | '),
          })));
        }"""
    )
    return [Violation(**v) for v in found if v["impact"] in SERIOUS]
