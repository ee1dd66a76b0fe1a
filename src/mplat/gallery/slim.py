"""Files in third-party wheels that a notebook running in the browser never reads, dropped from the runtime.

A gallery notebook is a read-only marimo app: marimo draws plotly figures with its own plotly.js from
`plotly.io.to_json`, and it never asks jedi for completions (there is no editor). The files below serve
neither, yet every cold load downloads them and every boot unpacks them (Pyodide extracts each wheel into
its in-memory file system; jedi's ~5,000 typeshed stubs are most of its unpack time). Measured on the demo
runtime: 10.3 MB less to download (plotly 11.2 → 5.3 MB, jedi 5.4 → 1.0 MB) and the boot set loads ~0.5 s
sooner in Chromium (docs/ipad.md). Only data and stubs are listed here, never a module a notebook imports.

Turn it off with the plugin option `slim_wheels: false` (e.g. for a notebook calling `fig.write_html`
with the bundled plotly.js in the browser).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import replace
from pathlib import Path

from .wheels import WheelInfo, without_members

# Distribution → archive members (fnmatch patterns; `*` crosses folders) a browser notebook never reads.
UNREAD: dict[str, tuple[str, ...]] = {
    "plotly": (
        "plotly/package_data/plotly.min.js",  # offline HTML export (write_html, include_plotlyjs=True)
        "plotly/package_data/widgetbundle.js",  # FigureWidget, for Jupyter
        "plotly/labextension/*",  # the JupyterLab extension…
        "plotly-*.data/*",  # …and its copy installed under share/jupyter
    ),
    "jedi": (
        "jedi/third_party/typeshed/*",  # stubs, read only to infer completions
        "jedi/third_party/django-stubs/*",
    ),
}
POLICY = hashlib.sha256(json.dumps(UNREAD, sort_keys=True).encode()).hexdigest()[:12]  # in cache keys


def slim(info: WheelInfo, cache_dir: Path) -> WheelInfo:
    """`info` pointing at a copy without its UNREAD members (cached by input wheel and policy), or `info`
    itself for a distribution with nothing listed."""
    patterns = UNREAD.get(info.name)
    if not patterns:
        return info
    folder = cache_dir / "slim" / f"{info.sha256[:16]}-{POLICY}"
    target = folder / info.path.name
    if not target.is_file():
        target = without_members(info.path, folder, lambda n: any(fnmatch.fnmatch(n, p) for p in patterns))
    return replace(info, path=target)
