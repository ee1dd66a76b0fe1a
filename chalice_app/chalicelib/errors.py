"""Errors that end an ingestion or transform run, each with a message a person can act on."""

from __future__ import annotations


class IngestError(Exception):
    """Base class: the run failed and nothing was written to raw."""


class ConfigError(IngestError):
    """A required setting (environment variable, stage config) is missing or wrong."""


class SecretError(IngestError):
    """A source's secret is missing or malformed; the message names the secret id, never its values."""


class FetchError(IngestError):
    """The API could not be reached or kept failing after the retries."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class PayloadError(IngestError):
    """The API answered, but the body is not what the source expects (bad JSON/CSV, too large)."""
