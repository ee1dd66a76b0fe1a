"""Values passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# "browser": runs in the visitor's browser (notebooks/demos/); "server": runs on the marimo server tier
# (notebooks/analysis/), shown in the gallery with a preview computed at build time.
Tier = Literal["browser", "server"]


@dataclass(frozen=True)
class Notebook:
    """A discovered notebook and what its file says about itself."""

    path: Path
    slug: str
    title: str
    description: str
    tags: tuple[str, ...]
    order: int
    dependencies: tuple[str, ...]  # PEP 723 `dependencies`
    imports: frozenset[str]  # top-level modules imported by its cells
    tier: Tier = "browser"
    thumbnail_cell: str = ""  # `[tool.mplat] thumbnail`: the cell whose output the card shows

    @property
    def app_file(self) -> str:
        """Path of the exported app relative to the site root."""
        return f"apps/{self.slug}.html"

    @property
    def page_url(self) -> str:
        return f"gallery/{self.slug}/"


@dataclass(frozen=True)
class SkippedNotebook:
    """A notebook left out of a non-strict build, shown as a warning card."""

    slug: str
    path: Path
    reason: str


@dataclass(frozen=True)
class RuntimePackage:
    """One wheel shipped in the site's runtime, as it appears in pyodide-lock.json."""

    name: str  # normalised distribution name
    version: str
    file_name: str  # relative to the runtime folder: packages/<sha256>/<wheel>
    sha256: str
    imports: tuple[str, ...]
    depends: tuple[str, ...]
    size: int
    boot_slice: tuple[str, str] | None = None  # (file name like file_name, sha256): slices.py


@dataclass(frozen=True)
class BuildTimings:
    check: float = 0.0
    export: float = 0.0
    runtime: float = 0.0
    thumbnails: float = 0.0
    pages: float = 0.0


@dataclass
class BuildReport:
    """What a build did; used for logging, tests and benchmarks."""

    notebooks: list[Notebook] = field(default_factory=list)
    exported: list[str] = field(default_factory=list)  # slugs exported in this build (not from cache)
    thumbnails: list[str] = field(default_factory=list)  # slugs whose thumbnail was rendered in this build
    packages: list[RuntimePackage] = field(default_factory=list)
    runtime_reused: bool = False  # the runtime came from the cache: nothing was resolved
    timings: BuildTimings = field(default_factory=BuildTimings)
    # A quick build (`mkdocs serve`) left slow work for later: outputs computed at build time, thumbnails
    # or server previews are stand-ins until a full build has made them (mkdocs_plugin refreshes them).
    deferred: bool = False
