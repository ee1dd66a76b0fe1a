"""Small fixture projects: a mkdocs.yml, a docs page and chosen notebooks, built with the real plugin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from e2e.sitebuild import write_fixture_project

FIXTURES = Path(__file__).parent / "fixtures"


def write_project(root: Path, notebooks: list[str], extra_options: str = "") -> Path:
    """A fixture project with notebooks from tests/gallery/fixtures/ by name."""
    return write_fixture_project(root, [FIXTURES / f"{name}.py" for name in notebooks], extra_options)


@pytest.fixture
def fixture_project(tmp_path: Path) -> Callable[..., Path]:
    return lambda notebooks, extra_options="": write_project(tmp_path / "project", notebooks, extra_options)


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """One project per test module, so its export cache is reused between the module's builds."""
    root = tmp_path_factory.mktemp("shared") / "project"
    return lambda notebooks, extra_options="": write_project(root, notebooks, extra_options)
