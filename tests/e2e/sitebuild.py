"""Building sites with the real `mkdocs build`, as `make site` does: the demo project or small fixture
projects (a mkdocs.yml, a docs page and chosen notebooks)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NPM = REPO_ROOT / "node_modules"
# Fixture sites ship sources only: compiling bytecode (a trace of every notebook under Node.js) would add
# about a minute to each fixture build. The demo site (tests/e2e) and tests/gallery/test_precompile.py
# cover it.
FIXTURE_DEFAULTS = "      precompile_python: false\n"


def build_site(
    project_dir: Path, site_dir: Path, config: Path | None = None, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    mkdocs = Path(sys.executable).parent / "mkdocs"
    cmd = [str(mkdocs), "build", "--site-dir", str(site_dir)]
    if config is not None:
        cmd += ["--config-file", str(config)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(environment or {})}
    return subprocess.run(cmd, cwd=project_dir, capture_output=True, text=True, env=env, timeout=1200)


def write_fixture_project(
    root: Path, notebooks: list[Path], extra_options: str = "", site_name: str = "Test", description: str = ""
) -> Path:
    """A project under `root` with `notebooks` copied into `nb/`; `extra_options` are plugin option lines."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "index.md").write_text(f"# {site_name}\n")
    nb_dir = root / "nb"
    nb_dir.mkdir(exist_ok=True)
    for old in nb_dir.glob("*.py"):
        old.unlink()
    for notebook in notebooks:
        shutil.copy(notebook, nb_dir / notebook.name)
    (root / "mkdocs.yml").write_text(
        f"site_name: {site_name}\n"
        + (f"site_description: {description}\n" if description else "")
        + "theme:\n  name: material\n  font: false\n"
        "plugins:\n"
        "  - mplat-gallery:\n"
        "      notebooks_dir: nb\n"
        f"      cache_dir: {root / '.cache'}\n"
        f"      pyodide_package: {NPM / 'pyodide'}\n"
        f"      mathjax_file: {NPM / 'mathjax-full' / 'es5' / 'tex-mml-svg.js'}\n"
        + ("" if "precompile_python" in extra_options else FIXTURE_DEFAULTS)
        + extra_options
    )
    share_wheel_cache(root / ".cache")
    return root


def share_wheel_cache(cache_dir: Path) -> None:
    """Use the repository's wheel cache: no test downloads the same wheels again, even on a clean clone
    where the first builds run at once (every cache write is atomic, so concurrent builds can share it)."""
    wheels = REPO_ROOT / ".cache" / "plugin" / "mplat-gallery" / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    if not (cache_dir / "wheels").exists():
        (cache_dir / "wheels").symlink_to(wheels, target_is_directory=True)
