"""Find notebooks and read their metadata from the file itself (PEP 723 `[tool.mplat]`)."""

from __future__ import annotations

import ast
import hashlib
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

from .errors import GalleryError, NotebookError
from .model import Notebook, Tier

# PEP 723 inline script metadata: a `# /// script` … `# ///` comment block.
_PEP723 = re.compile(r"(?m)^# /// script\s*$\s(?P<content>(^#(| .*)$\s)+)^# ///$")


def slugify(stem: str) -> str:
    """`solar_calculator` → `solar-calculator` (file stem, lower case, `_` → `-`)."""
    return stem.lower().replace("_", "-")


def title_from_slug(slug: str) -> str:
    return slug.replace("-", " ").strip().capitalize()


def code_digest(path: Path) -> str:
    """A digest of the notebook's code: its text without the `# /// script` block, whose title, description
    and tags never change what the notebook does (an edit there needs no new check or export to preview)."""
    text = _PEP723.sub("", path.read_text(encoding="utf-8"), count=1)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def read_script_metadata(path: Path, text: str) -> dict:
    matches = list(_PEP723.finditer(text))
    if not matches:
        return {}
    if len(matches) > 1:
        raise NotebookError(path, "has more than one `# /// script` block; keep exactly one")
    body = "".join(
        line[2:] if line.startswith("# ") else line[1:]
        for line in matches[0].group("content").splitlines(keepends=True)
    )
    try:
        return tomllib.loads(body)
    except tomllib.TOMLDecodeError as exc:
        raise NotebookError(path, f"its `# /// script` block is not valid TOML ({exc})") from exc


def imported_modules(path: Path, text: str) -> frozenset[str]:
    """Top-level module names imported anywhere in the notebook (absolute imports only)."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise NotebookError(path, f"syntax error on line {exc.lineno}: {exc.msg}") from exc
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return frozenset(names)


def _typed[T](path: Path, meta: dict, key: str, kind: type[T], default: T) -> T:
    value = meta.get(key, default)
    if not isinstance(value, kind):
        raise NotebookError(path, f"[tool.mplat] `{key}` must be a {kind.__name__}, got {value!r}")
    return value


def load_notebook(path: Path, tier: Tier = "browser") -> Notebook:
    text = path.read_text(encoding="utf-8")
    meta = read_script_metadata(path, text)
    mplat = meta.get("tool", {}).get("mplat", {})
    slug = slugify(path.stem)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        raise NotebookError(
            path, f"slug {slug!r} from the file name must be letters, digits and '-'; rename it"
        )
    tags = _typed(path, mplat, "tags", list, [])
    deps = _typed(path, meta, "dependencies", list, [])
    return Notebook(
        path=path,
        slug=slug,
        title=_typed(path, mplat, "title", str, title_from_slug(slug)),
        description=_typed(path, mplat, "description", str, ""),
        tags=tuple(str(t) for t in tags),
        order=_typed(path, mplat, "order", int, 1000),
        dependencies=tuple(str(d) for d in deps),
        imports=imported_modules(path, text),
        tier=tier,
        thumbnail_cell=_typed(path, mplat, "thumbnail", str, ""),
    )


def discover(
    notebooks_dir: Path, on_error: Callable[[NotebookError], None] | None = None, tier: Tier = "browser"
) -> list[Notebook]:
    """Every `*.py` notebook directly in `notebooks_dir`, in gallery order (order, then title).

    A notebook whose file cannot be read raises, or is passed to `on_error` and left out (non-strict builds).
    """
    if not notebooks_dir.is_dir():
        raise GalleryError(
            f"notebooks folder {notebooks_dir} does not exist; create it or set `notebooks_dir`"
        )
    notebooks = []
    for path in sorted(notebooks_dir.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            notebooks.append(load_notebook(path, tier))
        except NotebookError as exc:
            if on_error is None:
                raise
            on_error(exc)
    seen: dict[str, Path] = {}
    for nb in notebooks:
        if nb.slug in seen:
            raise NotebookError(nb.path, f"slug {nb.slug!r} is also used by {seen[nb.slug]}; rename one")
        seen[nb.slug] = nb.path
    return sorted(notebooks, key=lambda nb: (nb.order, nb.title.lower()))
