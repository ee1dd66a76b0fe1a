"""Source secrets from Secrets Manager, cached per Lambda container for a few minutes.

A secret is a JSON object such as `{"url": "...", "api_key": "..."}` stored at `<SECRET_PREFIX><source>`
(`mplat/<env>/ingest/<source>`). Errors name the secret id and the missing fields, never a value.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.errors import SecretError

CACHE_SECONDS = 300.0  # long enough to spare calls on warm starts, short enough to pick up a rotated key


def _example(fields: Sequence[str]) -> str:
    return json.dumps({name: "..." for name in fields})


@dataclass
class SecretStore:
    fetch: Callable[[str], str]  # secret id -> SecretString
    clock: Callable[[], float] = time.monotonic
    _cache: dict[str, tuple[float, dict[str, str]]] = field(default_factory=dict)

    def get(self, secret_id: str, fields: Sequence[str]) -> dict[str, str]:
        cached = self._cache.get(secret_id)
        if cached and self.clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        value = self._parse(secret_id, self.fetch(secret_id), fields)
        self._cache[secret_id] = (self.clock(), value)
        return value

    @staticmethod
    def _parse(secret_id: str, text: str, fields: Sequence[str]) -> dict[str, str]:
        fix = f"store it as JSON: {_example(fields)} (see docs/ingestion.md, step 1)"
        try:
            data: Any = json.loads(text)
        except ValueError:
            raise SecretError(f"secret {secret_id!r} is not valid JSON; {fix}") from None
        if not isinstance(data, dict):
            raise SecretError(f"secret {secret_id!r} is not a JSON object; {fix}")
        missing = [name for name in fields if not isinstance(data.get(name), str) or not data[name]]
        if missing:
            raise SecretError(f"secret {secret_id!r} lacks field(s) {', '.join(missing)}; {fix}")
        return {name: data[name] for name in fields}


def _fetch_from_secrets_manager(secret_id: str) -> str:
    try:
        response = aws.client("secretsmanager").get_secret_value(SecretId=secret_id)
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":  # no secret, or a placeholder without a value yet
            raise SecretError(
                f"secret {secret_id!r} does not exist or has no value yet: set it with `aws secretsmanager "
                f"put-secret-value --secret-id {secret_id} --secret-string '{{...}}'` (`python -m infra apply` "
                "creates it empty); see docs/ingestion.md, step 1"
            ) from None
        raise SecretError(f"cannot read secret {secret_id!r}: {code or err}") from None
    text = response.get("SecretString")
    if text is None:
        raise SecretError(f"secret {secret_id!r} has no string value (binary secrets are not supported)")
    return text


@functools.cache
def store() -> SecretStore:
    """The container-wide store (module-level on purpose: the cache must outlive one invocation)."""
    return SecretStore(fetch=_fetch_from_secrets_manager)


def reset() -> None:
    """Forget the cached secrets and the clients that read them (tests, or after a rotation in one process)."""
    store.cache_clear()
    aws.reset()
