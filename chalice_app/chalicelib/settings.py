"""Runtime settings, read from the environment variables of the Chalice stage.

`python -m infra apply --env ENV` writes them into `.chalice/config.json` (stage ENV); Chalice sets them on every
Lambda, and also while it imports `app.py` for `chalice deploy/package --stage ENV`, which is how the S3 trigger
learns the raw bucket's name without hard-coding it. `mplat ingest/transform run` read the same stage locally.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.errors import ConfigError

REQUIRED = ("MPLAT_ENV", "RAW_BUCKET", "DERIVED_BUCKET", "SECRET_PREFIX")


@dataclass(frozen=True, kw_only=True)
class HttpPolicy:
    """How patient the API client is; each field can be overridden by a stage environment variable."""

    timeout_seconds: float = 20.0  # INGEST_TIMEOUT_SECONDS: per request (connect and each read)
    max_attempts: int = 4  # INGEST_MAX_ATTEMPTS: first try + retries on timeouts, 5xx and 429
    backoff_base_seconds: float = 0.5  # INGEST_BACKOFF_BASE_SECONDS: delay before retry n ~ U(0, base * 2**n)
    backoff_max_seconds: float = 20.0  # INGEST_BACKOFF_MAX_SECONDS: cap on one delay (also caps Retry-After)
    max_response_bytes: int = 4 * 1024 * 1024  # INGEST_MAX_RESPONSE_BYTES: larger bodies are rejected
    # INGEST_MAX_TOTAL_BYTES: all responses of one run together (a paged source joins its pages in memory). The
    # Lambda memory (`lambda_memory_size` in .chalice/config.json) is sized for a payload of this size:
    # tests/ingest/test_memory.py measures the peak and fails when it no longer fits.
    max_total_bytes: int = 4 * 1024 * 1024
    allow_loopback_http: bool = False  # plain http to 127.0.0.1 (the `local` env's fake API); https otherwise


_POLICY_VARS = {
    "INGEST_TIMEOUT_SECONDS": ("timeout_seconds", float),
    "INGEST_MAX_ATTEMPTS": ("max_attempts", int),
    "INGEST_BACKOFF_BASE_SECONDS": ("backoff_base_seconds", float),
    "INGEST_BACKOFF_MAX_SECONDS": ("backoff_max_seconds", float),
    "INGEST_MAX_RESPONSE_BYTES": ("max_response_bytes", int),
    "INGEST_MAX_TOTAL_BYTES": ("max_total_bytes", int),
}
LOCAL_ENV = "local"  # the moto-backed local stack: the only env whose sources may be plain http on 127.0.0.1


@dataclass(frozen=True, kw_only=True)
class Settings:
    env: str
    raw_bucket: str
    derived_bucket: str
    secret_prefix: str
    http: HttpPolicy

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        missing = [name for name in REQUIRED if not environ.get(name)]
        if missing:
            raise ConfigError(
                f"missing environment variable(s) {', '.join(missing)}: they come from the Chalice stage that "
                "`python -m infra apply --env ENV` writes into chalice_app/.chalice/config.json; run it, then "
                "deploy or run with that stage (`chalice deploy --stage ENV`, `mplat ingest run SOURCE --env ENV`)"
            )
        overrides: dict[str, float | int] = {}
        for var, (field_name, kind) in _POLICY_VARS.items():
            if environ.get(var):
                try:
                    overrides[field_name] = kind(environ[var])
                except ValueError:
                    raise ConfigError(
                        f"environment variable {var}={environ[var]!r} is not a {kind.__name__}"
                    ) from None
        return cls(
            env=environ["MPLAT_ENV"],
            raw_bucket=environ["RAW_BUCKET"],
            derived_bucket=environ["DERIVED_BUCKET"],
            secret_prefix=environ["SECRET_PREFIX"],
            http=HttpPolicy(**overrides, allow_loopback_http=environ["MPLAT_ENV"] == LOCAL_ENV),  # type: ignore[arg-type]
        )

    def secret_id(self, source: str) -> str:
        return f"{self.secret_prefix}{source}"
