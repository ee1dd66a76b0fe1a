"""Small fixture projects: a mkdocs.yml, a docs page and chosen notebooks, built with the real plugin."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parents[2]


def write_project(root: Path, notebooks: list[str], extra_options: str = "") -> Path:
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "index.md").write_text("# Test site\n")
    nb_dir = root / "nb"
    nb_dir.mkdir(exist_ok=True)
    for old in nb_dir.glob("*.py"):
        old.unlink()
    for name in notebooks:
        shutil.copy(FIXTURES / f"{name}.py", nb_dir / f"{name}.py")
    # Share the repo's download cache (wheels) so tests do not fetch the same wheels again.
    (root / "mkdocs.yml").write_text(
        "site_name: Test\n"
        "theme:\n  name: material\n  font: false\n"
        "plugins:\n"
        "  - mplat-gallery:\n"
        "      notebooks_dir: nb\n"
        f"      cache_dir: {root / '.cache'}\n"
        f"      pyodide_package: {REPO_ROOT / 'node_modules' / 'pyodide'}\n"
        f"      mathjax_file: {REPO_ROOT / 'node_modules' / 'mathjax-full' / 'es5' / 'tex-mml-svg.js'}\n"
        + extra_options
    )
    wheels = REPO_ROOT / ".cache" / "plugin" / "mplat-gallery" / "wheels"
    if wheels.is_dir() and not (root / ".cache" / "wheels").exists():
        (root / ".cache").mkdir(exist_ok=True)
        shutil.copytree(wheels, root / ".cache" / "wheels", copy_function=_link)
    return root


def _link(src: str, dst: str) -> None:
    Path(dst).hardlink_to(src)


@pytest.fixture
def fixture_project(tmp_path: Path) -> Callable[..., Path]:
    return lambda notebooks, extra_options="": write_project(tmp_path / "project", notebooks, extra_options)


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """One project per test module, so its export cache is reused between the module's builds."""
    root = tmp_path_factory.mktemp("shared") / "project"
    return lambda notebooks, extra_options="": write_project(root, notebooks, extra_options)
