"""boto3 clients, created lazily and reused for the life of a Lambda container.

Created on first use (not at import) so tests and `mplat` can set `AWS_ENDPOINT_URL` first; boto3 honours it,
so no endpoint plumbing is needed anywhere else.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.config import Config

# Our own retry loop handles the APIs we fetch; AWS calls keep botocore's standard retries.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


@functools.cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)


def reset() -> None:
    """Forget cached clients (tests, or after changing credentials/endpoint in one process); cached secrets
    are forgotten by `secrets.reset()`."""
    client.cache_clear()
