"""boto3 access for one run: credentials and region from the standard chain, `AWS_ENDPOINT_URL` honoured
by botocore itself (so moto and real AWS take the same code path)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

_RETRIES = BotoConfig(retries={"max_attempts": 8, "mode": "standard"})


class Aws:
    """Caches one client per service for the run (clients are thread-safe; sessions are not shared)."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._session = boto3.session.Session(region_name=region)
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service, config=_RETRIES)
        return self._clients[service]

    @cached_property
    def account_id(self) -> str:
        return str(self.client("sts").get_caller_identity()["Account"])


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def missing(exc: ClientError, *codes: str) -> bool:
    """True when the error means "it does not exist" (404 or one of the given codes)."""
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(exc) in codes or status == 404
