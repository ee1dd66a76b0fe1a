"""Run `python -m infra` in-process and capture what the operator would see (both infra test groups)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `infra/` is a top-level package run from the repo root, not installed
    sys.path.insert(0, str(REPO_ROOT))


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str  # stderr, plus the log records when the caller passes `caplog` (secret checks cover logging)


InfraRunner = Callable[..., Run]


def run_infra(
    args: Sequence[str],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture | None = None,
) -> Run:
    from infra.cli import main

    capsys.readouterr()
    if caplog is not None:
        caplog.clear()
    code = main(list(args))
    captured = capsys.readouterr()
    err = captured.err if caplog is None else captured.err + "\n" + caplog.text
    return Run(code, captured.out, err)
