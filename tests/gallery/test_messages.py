"""The message table (src/mplat/gallery/messages.py): complete in every language, and the only place our
scripts and templates take their text from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mplat.gallery import messages
from mplat.gallery.messages import LANGUAGES, MESSAGES, text

GALLERY_SRC = Path(messages.__file__).parent
# Every file of ours that the browser gets text from.
BROWSER_SOURCES = sorted(
    [*GALLERY_SRC.glob("static/*.js"), *GALLERY_SRC.glob("app/*.js"), *GALLERY_SRC.glob("inline/*.js")]
    + [GALLERY_SRC / "offline_assets" / "offline.html", GALLERY_SRC / "offline_assets" / "sw.js"]
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*|<!--.*?-->", re.DOTALL)
_KEY_USE = re.compile(r"""mplatText\(\s*["']([\w.]+)["']|\bt\(\s*["']([\w.]+)["']""")


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_every_language_with_the_same_placeholders(key: str) -> None:
    entry = MESSAGES[key]
    assert set(entry) == set(LANGUAGES), f"{key}: languages {sorted(entry)}, want {list(LANGUAGES)}"
    placeholders = {lang: sorted(_PLACEHOLDER.findall(entry[lang])) for lang in LANGUAGES}
    assert len({tuple(p) for p in placeholders.values()}) == 1, f"{key}: placeholders differ {placeholders}"
    if not key.endswith("_html"):
        assert all("<" not in entry[lang] for lang in LANGUAGES), f"{key}: HTML only in keys ending _html"


def test_text_fills_placeholders() -> None:
    assert text("gallery.unavailable", "de", slug="x") == "x ist nicht verfügbar"
    assert text("offline.progress", "en", done="1 MB", total="2 MB") == "1 MB of 2 MB"


def test_scripts_use_only_keys_of_the_table() -> None:
    used = set()
    for source in BROWSER_SOURCES:
        for match in _KEY_USE.finditer(source.read_text(encoding="utf-8")):
            key = match.group(1) or match.group(2)
            if "." in key:
                used.add(key)
                assert key in MESSAGES, f"{source.name} uses {key!r}, which is not in the message table"
    assert len(used) >= 20, used


def test_no_script_or_template_hard_codes_a_message() -> None:
    """A sentence of the table written out in a script would stay English in a German build."""
    for source in BROWSER_SOURCES:
        code = _COMMENT.sub("", source.read_text(encoding="utf-8"))  # comments may quote the UI
        for key, entry in MESSAGES.items():
            english = _PLACEHOLDER.split(entry["en"])[0].strip()
            if len(english) >= 12:  # long enough to be a sentence, not a word of code
                assert english not in code, f"{source.name} hard-codes {english!r}: use mplatText({key!r})"


def test_unknown_language_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="en, de"):
        messages.check_language("fr")
