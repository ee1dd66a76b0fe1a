"""Typed options of the `mplat-gallery` MkDocs plugin (set under `plugins:` in mkdocs.yml)."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c

from .gallery.messages import DEFAULT_LANGUAGE, LANGUAGES

PYODIDE_CDN = "https://cdn.jsdelivr.net/pyodide/v314.0.0/full/"


class GalleryConfig(base.Config):
    enabled = c.Type(bool, default=True)
    # Language of every text of ours (src/mplat/gallery/messages.py); mkdocs-material's own follows it.
    language = c.Choice(LANGUAGES, default=DEFAULT_LANGUAGE)
    # Folder of browser notebooks; each `*.py` becomes /gallery/<slug>/.
    notebooks_dir = c.Dir(exists=True, default="notebooks/demos")
    # Server-tier notebooks (notebooks/analysis/): a card, a page with a preview computed at build time, and
    # "Open on the server" at `server_url` (the server tier's public address; empty: previews only).
    server_notebooks_dir = c.Optional(c.Dir(exists=True))
    server_url = c.Type(str, default="")
    # Sample data published at apps/public/ (read in notebooks as mo.notebook_location() / "public").
    data_dir = c.Optional(c.Dir(exists=True))
    # Pure-Python packages of this project shipped to the browser as one dependency-free wheel.
    browser_libraries = c.ListOfItems(c.Type(str), default=[])
    source_dir = c.Optional(c.Dir(exists=True))
    # Build caches (exports, downloaded wheels) survive across builds here.
    cache_dir = c.Type(str, default=".cache/plugin/mplat-gallery")
    concurrency = c.Type(int, default=2)
    # The full Pyodide distribution, for packages that have no browser wheel on PyPI (numpy, pandas…).
    pyodide_dist_url = c.Type(str, default=PYODIDE_CDN)
    # npm packages (installed by `npm ci`) providing the Pyodide core and the MathJax file plotly loads.
    pyodide_package = c.Type(str, default="node_modules/pyodide")
    mathjax_file = c.Type(str, default="node_modules/mathjax-full/es5/tex-mml-svg.js")
    # False: a bad notebook is left out with a warning card instead of failing the build.
    strict = c.Type(bool, default=True)
    # Shown when a notebook fails to load.
    support_email = c.Type(str, default="")
    # Chromium used to screenshot notebooks for card thumbnails; empty: generated branded cards.
    thumbnails_browser = c.Type(str, default="/usr/bin/chromium")
    # Analytics (off unless a domain is set): Plausible's events API; no analytics request exists when off.
    analytics_domain = c.Type(str, default="")
    analytics_endpoint = c.Type(str, default="https://plausible.io/api/event")
    # Origins allowed to show the site's pages in a frame (CSP frame-ancestors), e.g. a portfolio's
    # "https://portfolio.example"; the same list goes in `[site] embed_origins` of infra/envs/<env>.toml.
    embed_origins = c.ListOfItems(c.Type(str), default=[])
    # Service worker, offline manifest and offline page (docs/offline.md); never under `mkdocs serve`.
    offline = c.Type(bool, default=True)
    # Run each notebook at build time (`marimo export html-wasm --execute --no-sandbox`) so its page shows
    # the outputs at once, before Python boots in the browser (docs/ipad.md).
    precompute_outputs = c.Type(bool, default=False)
    # Ship Python bytecode compiled for Pyodide's Python beside the sources (the standard library and every
    # wheel), so the browser does not compile what it imports on each load; compiled once per wheel with
    # Pyodide under Node.js and cached (docs/ipad.md, "levers"). Not under `mkdocs serve` (quick previews).
    precompile_python = c.Type(bool, default=True)
    # Leave out of the runtime the files of third-party wheels a read-only notebook never reads (plotly's
    # bundled plotly.js and Jupyter extension, jedi's typeshed stubs): 10 MB less per cold load, a faster
    # boot (src/mplat/gallery/slim.py lists them).
    slim_wheels = c.Type(bool, default=True)
    # Later visits start a notebook's Python from a memory snapshot of marimo's start-up that the first
    # visit made and kept in the browser (src/mplat/gallery/memory_snapshot.py, docs/ipad.md).
    memory_snapshot = c.Type(bool, default=True)
