"""A stand-in for the ALB's sign-in in tests: an ES256 key made here, its public key served on 127.0.0.1 the way
AWS serves `https://public-keys.auth.elb.{region}.amazonaws.com/{kid}`, and `x-amzn-oidc-data` tokens signed
with it (the ALB's format: base64url parts with padding, signer/exp in the header, raw r||s signature)."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

REGION = "eu-central-1"
ACCOUNT = "123456789012"
SIGNER_PREFIX = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/mplat-local-compute-alb/"
ALB_ARN = f"{SIGNER_PREFIX}50dc6c495c0c9188"
HEADER = "x-amzn-oidc-data"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()  # padded, as the ALB sends it


class FakeAlb:
    def __init__(self) -> None:
        self.kid = str(uuid.uuid4())
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.key_requests: list[str] = []

    @cached_property
    def key_url(self) -> str:
        """Start the key server on first use; it lives as long as the test process (a daemon thread)."""
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        alb = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                alb.key_requests.append(self.path)
                found = self.path == f"/{alb.kid}"
                self.send_response(200 if found else 404)
                self.end_headers()
                self.wfile.write(pem if found else b"")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}/{{kid}}"

    def environment(self) -> dict[str, str]:
        """What the ECS task definition sets for `alb` mode, with the key URL pointing here."""
        return {
            "MPLAT_SERVER_AUTH": "alb",
            "MPLAT_ALB_SIGNER": SIGNER_PREFIX,
            "MPLAT_ALB_KEY_URL": self.key_url,
        }

    def token(
        self,
        *,
        signer: str = ALB_ARN,
        expires_in: float = 3600,
        key: ec.EllipticCurvePrivateKey | None = None,
        alg: str = "ES256",
    ) -> str:
        exp = int(time.time() + expires_in)
        header = {"typ": "JWT", "kid": self.kid, "alg": alg, "iss": "https://okta.example/oauth2/default"}
        header |= {"client": "okta-client", "signer": signer, "exp": exp}
        claims: dict[str, Any] = {
            "sub": "00u1",
            "email": "analyst@example.com",
            "exp": exp,
            "iss": header["iss"],
        }
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        der = (key or self.key).sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def headers(self) -> dict[str, str]:
        return {HEADER: self.token()}


TEST_ALB = FakeAlb()  # one per test process: servers in alb mode trust it, browser contexts send its token
