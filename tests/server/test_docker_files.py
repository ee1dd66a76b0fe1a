"""The Dockerfile without a Docker engine: hadolint, pins, build context, and its layout actually serving."""

from __future__ import annotations

import ast
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest

from .running import REPO_ROOT, serve, server_environment

DOCKERFILE = REPO_ROOT / "docker" / "marimo" / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def copies() -> list[tuple[str, str]]:
    found = []
    for keyword, rest in instructions():
        if keyword == "COPY":
            parts = [part for part in shlex.split(rest) if not part.startswith("--")]
            found.append((parts[0], parts[-1]))
    return found


def marimo_pin() -> str:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    (pin,) = [dep for dep in pyproject["project"]["dependencies"] if dep.startswith("marimo==")]
    return pin.removeprefix("marimo==")


def dockerignore_allows(relative: str) -> bool:
    """Docker's rule: patterns in order, the last one matching the path or one of its parents wins."""
    allowed = True
    parts = relative.split("/")
    candidates = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    for raw in DOCKERIGNORE.read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!").rstrip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        if any(re.fullmatch(regex, candidate) for candidate in candidates):
            allowed = negate
    return allowed


def test_hadolint_passes() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_image_is_the_official_marimo_image_at_the_project_pin() -> None:
    steps = instructions()
    assert steps[0] == ("ARG", f"MARIMO_VERSION={marimo_pin()}")
    froms = [rest for keyword, rest in steps if keyword == "FROM"]
    # pinned by digest: a re-pushed tag cannot change the base (the digest value itself: see the Dockerfile)
    assert froms == ["ghcr.io/marimo-team/marimo:${MARIMO_VERSION}@${MARIMO_DIGEST}"]
    assert steps[1][0] == "ARG" and steps[1][1].startswith("MARIMO_DIGEST=sha256:")
    assert "docker buildx imagetools inspect" in DOCKERFILE.read_text()


def test_runs_the_start_script_as_non_root_on_7860_with_health_check() -> None:
    steps = dict(instructions())
    assert steps["USER"] == "1000:1000"  # the EFS access point's uid/gid
    assert steps["EXPOSE"] == "7860"
    assert steps["CMD"] == '["/app/docker/marimo/serve.sh"]'
    assert "http://127.0.0.1:7860/health" in steps["HEALTHCHECK"]
    assert "SCRATCH_DIR=/app/scratch" in steps["ENV"]
    # the image asks for a token by default; only the ECS task definition switches to the ALB gate
    assert "MPLAT_SERVER_AUTH=token" in steps["ENV"] and "MPLAT_SERVER_AUTH=alb" not in steps["ENV"]


def test_requirements_are_pinned_and_include_pandas() -> None:
    lines = [
        line.strip()
        for line in (REPO_ROOT / "docker" / "marimo" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line) for line in lines), lines
    names = {line.split("==")[0].lower() for line in lines}
    assert {"pandas", "boto3"} <= names


def test_every_copy_source_exists_and_is_in_the_build_context() -> None:
    for source, _ in copies():
        path = REPO_ROOT / source
        assert path.exists(), f"COPY source {source} does not exist"
        # What a clean checkout holds (the image is built from one): not a local build's caches.
        tracked = subprocess.run(
            ["git", "ls-files", "--", source], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
        assert tracked, f"COPY source {source} is empty"
        for relative in tracked:
            assert dockerignore_allows(relative), f"{relative} is copied but excluded by .dockerignore"
    assert not dockerignore_allows("tests/server/test_docker_files.py")
    assert not dockerignore_allows(".venv/bin/python")
    assert not dockerignore_allows("src/mplat/gallery/discover.py")


def _assemble_image_layout(app: Path) -> None:
    """Copy what the Dockerfile copies to where it copies it, with /app → `app`."""
    for source, destination in copies():
        target = app / destination.removeprefix("/app/")
        origin = REPO_ROOT / source
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)


def test_the_image_layout_serves_the_notebooks(tmp_path: Path, moto_server: str) -> None:
    """The files the image gets, laid out as in the image, are enough for serve.sh to serve every notebook."""
    app = tmp_path / "app"
    _assemble_image_layout(app)
    env = server_environment(moto_server, {"SCRATCH_DIR": str(tmp_path / "scratch")})
    env.pop("MPLAT_NOTEBOOKS_DIR", None)
    env.pop("SAMPLE_DATA_DIR", None)
    script = app / "docker" / "marimo" / "serve.sh"
    with serve(env, tmp_path, "--auth", "alb", script=script) as running:
        with urllib.request.urlopen(f"{running.url}/health", timeout=10) as response:
            assert response.status == 200
        log = running.log.read_text()
    assert f"serving {app}/notebooks/analysis" in log
    assert sorted(path.name for path in (app / "notebooks" / "analysis").glob("*.py")) == sorted(
        path.name for path in (REPO_ROOT / "notebooks" / "analysis").glob("*.py")
    )
    assert any((app / "data" / "examples").glob("*.epw*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--notebooks", "/nonexistent/notebooks"], "notebooks folder /nonexistent/notebooks does not exist"),
        (["--auth", "open"], "auth mode 'open' is unknown"),
        (["--port", "seventy"], "port 'seventy' is not a number"),
    ],
)
def test_serve_script_refuses_bad_settings(args: list[str], message: str) -> None:
    result = subprocess.run(
        [str(REPO_ROOT / "docker" / "marimo" / "serve.sh"), *args],
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_image_has_every_package_its_code_imports() -> None:
    """Code copied into the image imports only the stdlib, the base image's marimo, requirements.txt and
    the parts of mplat the image copies (so a notebook cannot break in the image while passing here)."""
    requirements = {
        line.split("==")[0].strip().lower().replace("-", "_")
        for line in (REPO_ROOT / "docker" / "marimo" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    # uvicorn and websockets come with marimo (its server runs on them); the ALB gate uses them too
    available = (
        set(sys.stdlib_module_names) | requirements | {"marimo", "botocore", "mplat", "uvicorn", "websockets"}
    )
    copied = [REPO_ROOT / source for source, _ in copies()]
    code = [
        path
        for source in copied
        for path in ([source] if source.is_file() else sorted(source.rglob("*.py")))
        if path.suffix == ".py"
    ]
    assert any(path.parent.name == "analysis" for path in code)
    for path in code:
        missing = _top_level_imports(path) - available
        assert not missing, f"{path.relative_to(REPO_ROOT)} imports {missing}: add them to requirements.txt"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mplat."):
                module = REPO_ROOT / "src" / Path(*node.module.split("."))
                assert any(
                    module.with_suffix(".py").is_relative_to(source) or module.is_relative_to(source)
                    for source in copied
                ), f"{path.relative_to(REPO_ROOT)} imports {node.module}, which the image does not copy"
