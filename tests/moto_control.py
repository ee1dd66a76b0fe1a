"""moto's control API (`/moto-api/...`) for the session's moto server, shared by every AWS test group."""

from __future__ import annotations

import urllib.request


def moto_api(endpoint: str, path: str, body: bytes = b"") -> None:
    """POST to moto's control API. The explicit text/plain matters: with urllib's default form content
    type moto's Flask app swallows the body and `reset-auth` answers 500."""
    request = urllib.request.Request(
        endpoint + path, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    urllib.request.urlopen(request, timeout=10).read()


def set_iam_enforcement(endpoint: str, on: bool) -> None:
    """`0` = every following request is SigV4-checked and authorised; `inf` = off (moto's default)."""
    moto_api(endpoint, "/moto-api/reset-auth", b"0" if on else b"inf")


def reset_moto(endpoint: str) -> None:
    """Forget every resource and turn IAM enforcement off again."""
    set_iam_enforcement(endpoint, False)
    moto_api(endpoint, "/moto-api/reset")
