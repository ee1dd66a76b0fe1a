"""The notebook's parse, done once by the build instead of on every visit.

marimo's session starts by parsing the notebook's code into its notebook structure (`parse_notebook`,
~0.1 s of a warm boot in the browser's Python), the same structure on every visit. The build parses the code
the page carries (`<marimo-code>`, what marimo's page hands its session) with the pinned marimo and puts the
result in the boot plan (`parsed`: pickled, with the code's sha256). In the worker,
`worker_boot.use_parsed_notebook` answers marimo's parse with it when the code is the same, and lets marimo
parse when it is not (an edited notebook, another code).
"""

from __future__ import annotations

import base64
import hashlib
import html
import pickle
import re
from urllib.parse import unquote

from marimo._ast.parse import parse_notebook

_CODE = re.compile(r"<marimo-code[^>]*>(.*?)</marimo-code>", re.DOTALL)
PICKLE_PROTOCOL = 5  # read by the browser's Python (3.14)


def page_code(page: str) -> str | None:
    """The notebook code an exported page carries (as the gate and marimo's page decode it), or None."""
    found = _CODE.findall(page)
    if len(found) != 1:
        return None
    return unquote(html.unescape(found[0]))  # decodeURIComponent(textContent), as the page does


def parsed_entry(page: str) -> dict[str, str] | None:
    """The plan's `parsed` entry for an exported page: {sha256 of the code, its parse (pickle, base64)}."""
    code = page_code(page)
    if code is None:
        return None
    code = code.strip()  # what marimo's session reads back from the notebook's file (`load._maybe_contents`)
    notebook = parse_notebook(code)
    if notebook is None or not notebook.valid:
        return None  # marimo reports such a notebook itself, in the browser
    return {
        "sha256": hashlib.sha256(code.encode()).hexdigest(),
        "pickle": base64.b64encode(pickle.dumps(notebook, protocol=PICKLE_PROTOCOL)).decode("ascii"),
    }
