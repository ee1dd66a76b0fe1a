"""Building a site with the real `mkdocs build`, as `make site` does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def build_site(
    project_dir: Path, site_dir: Path, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    mkdocs = Path(sys.executable).parent / "mkdocs"
    cmd = [str(mkdocs), "build", "--site-dir", str(site_dir)]
    if config is not None:
        cmd += ["--config-file", str(config)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(cmd, cwd=project_dir, capture_output=True, text=True, env=env, timeout=1200)
