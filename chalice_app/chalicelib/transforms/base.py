"""What a transform is, apart from the registry (`transforms/__init__.py`) so each transform module can
import it without importing the registry that imports them."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from chalicelib.logs import RunLog
from chalicelib.settings import Settings


@dataclass(frozen=True)
class Context:
    settings: Settings
    s3: Any
    log: RunLog


@dataclass(frozen=True)
class Transform:
    name: str
    pattern: re.Pattern[str]
    unit: Callable[[re.Match[str]], Hashable]
    run: Callable[[Context, Any], dict[str, Any]]
