"""Every user-facing string of ours, in each language the site can be built in (the `language` option).

One table for Python and JavaScript alike: the pages written by the build read it through `text()`, and
the browser scripts get it as JSON (`messages_script`; the notebook pages `apps/<slug>.html` get the keys under
`APP_PREFIXES`) and look strings up with `mplatText(key, values)`; no script of ours
hard-codes a sentence. The notebooks' own text is their authors'.

To add a string: add a key here with both languages (a test checks every key has all of them and the same
`{placeholders}`), then use it. Keys are grouped by where they appear: `gallery.`, `notebook.`,
`offline.`, `update.`, `install.`, `gate.`, `app.`, `offline_page.`, `tier.`.
Placeholders are `{name}`; a value may hold HTML only where its key ends in `_html`.
"""

from __future__ import annotations

import json
import re
from typing import Literal

Language = Literal["en", "de"]
LANGUAGES: tuple[Language, ...] = ("en", "de")
DEFAULT_LANGUAGE: Language = "en"

MESSAGES: dict[str, dict[Language, str]] = {
    # /gallery/ (pages.py, gallery.js)
    "gallery.title": {"en": "Gallery", "de": "Galerie"},
    "gallery.description": {
        "en": "Interactive clean-energy demos that run in your browser",
        "de": "Interaktive Demos zu sauberer Energie, die in Ihrem Browser laufen",
    },
    "gallery.intro": {
        "en": "Interactive calculators that run entirely in your browser.",
        "de": "Interaktive Rechner, die vollständig in Ihrem Browser laufen.",
    },
    "gallery.filter_label": {"en": "Filter by tag", "de": "Nach Schlagwort filtern"},
    "gallery.filter_all": {"en": "All", "de": "Alle"},
    "gallery.unavailable": {"en": "{slug} is unavailable", "de": "{slug} ist nicht verfügbar"},
    "gallery.skipped": {
        "en": "This notebook was skipped by the build: {reason}",
        "de": "Dieses Notebook wurde beim Erstellen der Website ausgelassen: {reason}",
    },
    # /gallery/<slug>/ (pages.py, gallery.js)
    "notebook.open_full_screen": {"en": "Open full screen", "de": "Vollbild öffnen"},
    "notebook.download": {"en": "Download .py", "de": ".py herunterladen"},
    "notebook.embed": {"en": "Embed", "de": "Einbetten"},
    "notebook.embed_label": {
        "en": "Paste this into a web page to embed the demo:",
        "de": "Fügen Sie dies in eine Webseite ein, um die Demo einzubetten:",
    },
    "notebook.embed_copy": {"en": "Copy embed code", "de": "Einbettungscode kopieren"},
    "notebook.embed_copied": {"en": "Copied", "de": "Kopiert"},
    # The gallery's offline panel and card badges (offline.js)
    "offline.make_available": {"en": "Make available offline", "de": "Offline verfügbar machen"},
    "offline.available": {"en": "Available offline", "de": "Offline verfügbar"},
    "offline.downloading": {"en": "Downloading…", "de": "Wird heruntergeladen …"},
    "offline.progress": {"en": "{done} of {total}", "de": "{done} von {total}"},
    "offline.ready_badge": {"en": "Ready offline", "de": "Offline bereit"},
    "offline.needs_connection": {"en": "Needs a connection", "de": "Braucht eine Verbindung"},
    "offline.storage": {
        "en": "Storage: {used} used of {quota} available",
        "de": "Speicher: {used} von {quota} belegt",
    },
    "offline.storage_kept": {"en": " · kept by the browser", "de": " · vom Browser dauerhaft behalten"},
    "offline.storage_may_clear": {
        "en": " · the browser may clear it when space runs low",
        "de": " · der Browser kann ihn löschen, wenn der Platz knapp wird",
    },
    "offline.interrupted": {
        "en": "Download interrupted: {missing} files missing ({failed} failed). Try again.",
        "de": "Download unterbrochen: {missing} Dateien fehlen ({failed} fehlgeschlagen). Bitte erneut versuchen.",
    },
    "offline.no_space": {
        "en": "Not enough storage on this device: the demos need {needed}, only {available} is available. "
        "Free up space, then try again.",
        "de": "Nicht genug Speicher auf diesem Gerät: Die Demos brauchen {needed}, verfügbar sind nur "
        "{available}. Bitte Platz schaffen und erneut versuchen.",
    },
    "offline.failed": {
        "en": "Offline download failed: {error}",
        "de": "Offline-Download fehlgeschlagen: {error}",
    },
    # A new version is ready (offline.js)
    "update.reload": {"en": "Update available — reload", "de": "Update verfügbar – neu laden"},
    # iOS "Add to Home Screen" hint (pwa.js); {device} is iPad or iPhone, {share} Safari's Share symbol
    "install.label": {"en": "Install this app", "de": "Diese App installieren"},
    "install.hint_html": {
        "en": "<strong>Add these demos to your {device}’s Home Screen:</strong> tap Share {share}, then "
        "<em>Add to Home Screen</em>. They then open full screen and keep working offline — Safari deletes "
        "the offline copy of sites that are not on the Home Screen after 7 days without a visit.",
        "de": "<strong>Legen Sie diese Demos auf den Home-Bildschirm Ihres {device}:</strong> tippen Sie auf "
        "Teilen {share}, dann auf <em>Zum Home-Bildschirm</em>. Dann öffnen sie sich im Vollbild und "
        "funktionieren auch offline – Safari löscht die Offline-Kopie von Websites, die nicht auf dem "
        "Home-Bildschirm liegen, nach 7 Tagen ohne Besuch.",
    },
    "install.dismiss": {"en": "Dismiss", "de": "Schließen"},
    # Save-Data / slow-link gate in each notebook page (inline/notebook-gate.js)
    "gate.label": {"en": "Interactive mode", "de": "Interaktiver Modus"},
    "gate.explain": {
        "en": "These results were computed when the site was built. Running the notebook live downloads "
        "Python into your browser (20+ MB).",
        "de": "Diese Ergebnisse wurden beim Erstellen der Website berechnet. Wenn Sie das Notebook live "
        "ausführen, wird Python in Ihren Browser geladen (über 20 MB).",
    },
    "gate.run": {"en": "Run interactive", "de": "Interaktiv ausführen"},
    # A notebook that cannot load (app/watch.js)
    "app.failed_title": {
        "en": "This demo could not be loaded",
        "de": "Diese Demo konnte nicht geladen werden",
    },
    "app.failed_text": {
        "en": "Something went wrong while starting the notebook. Reloading often helps.",
        "de": "Beim Starten des Notebooks ist etwas schiefgegangen. Neu laden hilft oft.",
    },
    "app.failed_contact_html": {
        "en": "If it keeps happening, please contact {email}.",
        "de": "Wenn das wiederholt passiert, schreiben Sie bitte an {email}.",
    },
    "app.reload": {"en": "Reload", "de": "Neu laden"},
    # marimo's icon-only notebook menu button, which has no name of its own
    "app.actions_label": {"en": "Notebook actions", "de": "Notebook-Aktionen"},
    # The offline page the service worker shows (offline_assets/offline.html)
    "offline_page.title": {"en": "Offline · {site}", "de": "Offline · {site}"},
    "offline_page.heading": {"en": "You are offline", "de": "Sie sind offline"},
    "offline_page.intro_html": {
        "en": 'This page is not available offline. These demos are (<a href="gallery/">gallery</a>):',
        "de": 'Diese Seite ist offline nicht verfügbar. Diese Demos schon (<a href="gallery/">Galerie</a>):',
    },
    "offline_page.hint": {
        "en": "To keep every demo available, open the gallery while online and press “Make available offline”.",
        "de": "Damit alle Demos verfügbar bleiben, öffnen Sie die Galerie mit Verbindung und tippen Sie auf "
        "„Offline verfügbar machen“.",
    },
    "offline_page.fallback": {
        "en": "You are offline, and this page is not available offline.",
        "de": "Sie sind offline, und diese Seite ist offline nicht verfügbar.",
    },
    # Server notebooks (notebooks/analysis/) on /gallery/ and their pages (pages.py, server_tier.py)
    "tier.badge": {"en": "Runs on the server · sign-in", "de": "Läuft auf dem Server · Anmeldung"},
    "tier.gallery_intro": {
        "en": "Notebooks marked “{badge}” need the team's server and a sign-in; their pages show a preview "
        "computed when this site was built.",
        "de": "Notebooks mit „{badge}“ brauchen den Server des Teams und eine Anmeldung; ihre Seiten zeigen "
        "eine Vorschau, die beim Erstellen dieser Website berechnet wurde.",
    },
    "tier.open": {"en": "Open on the server", "de": "Auf dem Server öffnen"},
    "tier.no_server": {
        "en": "Preview only: this site has no server configured, so it cannot open the notebook.",
        "de": "Nur Vorschau: Für diese Website ist kein Server eingerichtet, daher kann sie das Notebook "
        "nicht öffnen.",
    },
    "tier.offline": {
        "en": "You are offline: opening it needs a connection to the server.",
        "de": "Sie sind offline: Zum Öffnen braucht es eine Verbindung zum Server.",
    },
    "tier.preview_note": {
        "en": "Preview: results computed when this site was built, on the sample data.",
        "de": "Vorschau: Ergebnisse, die beim Erstellen dieser Website mit den Beispieldaten berechnet wurden.",
    },
    "tier.preview_title": {"en": "{title} (preview)", "de": "{title} (Vorschau)"},
}

# What the notebook pages (apps/<slug>.html) need: they load none of the site's scripts.
APP_PREFIXES = ("gate.", "app.")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def check_language(language: str) -> Language:
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not supported; use one of: {', '.join(LANGUAGES)}")
    return language  # type: ignore[return-value]


def text(key: str, language: Language = DEFAULT_LANGUAGE, **values: object) -> str:
    """The message `key` in `language`, with its `{placeholders}` filled from `values`."""
    template = MESSAGES[key][language]
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def table(language: Language, prefixes: tuple[str, ...] = ()) -> dict[str, str]:
    """Every message in `language` (or those whose key starts with one of `prefixes`)."""
    return {k: v[language] for k, v in MESSAGES.items() if not prefixes or k.startswith(prefixes)}


# The lookup the browser scripts use (the same placeholders as `text`).
_JS_LOOKUP = """window.mplatText = function (key, values) {
  var template = (window.MPLAT_MESSAGES || {})[key];
  if (template === undefined) return key;
  return template.replace(/\\{(\\w+)\\}/g, function (all, name) {
    return values && name in values ? String(values[name]) : all;
  });
};
"""


def messages_script(language: Language, prefixes: tuple[str, ...] = ()) -> str:
    """The table (or the part under `prefixes`) and `mplatText`, for a page's scripts: the site's pages load
    it as `assets/mplat/messages.js` before the other scripts; the notebook pages carry their part inline."""
    data = json.dumps(table(language, prefixes), ensure_ascii=False, sort_keys=True, indent=1)
    return f"/* Generated from mplat.gallery.messages. */\nwindow.MPLAT_MESSAGES = {data};\n{_JS_LOOKUP}"
