"""`alb` mode: a gate in front of marimo that lets through only requests the ALB signed in with Okta.

The ALB's `authenticate-oidc` action adds `x-amzn-oidc-data` to every request it forwards: a JWT signed with
ES256 by the load balancer, with the signer's ARN and an expiry in its header. A request that did not come through
the ALB (another task in the VPC, a misrouted listener, a forged header) has no valid one and gets 401. The
verification follows AWS's guide "Authenticate users using an Application Load Balancer": the public key for the
token's `kid` comes from `https://public-keys.auth.elb.{region}.amazonaws.com/{kid}` (`key_url`, configurable so
tests serve the key locally), the `signer` must be our load balancer, `exp` must not have passed.

marimo itself runs unchanged (`marimo run`, no token) on 127.0.0.1 at an internal port; this gate listens on the
public port and forwards HTTP and websockets to it. `/health` passes without the header: the ALB's health checks
do not go through the sign-in.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_pem_public_key

HEADER = "x-amzn-oidc-data"
DEFAULT_KEY_URL = "https://public-keys.auth.elb.{region}.amazonaws.com/{kid}"
HEALTH_PATH = "/health"
_KID = re.compile(r"^[A-Za-z0-9-]{1,128}$")  # goes into a URL: nothing that could change its path or host
_ALB_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:(?P<region>[a-z0-9-]+):\d{12}:loadbalancer/app/")
# Hop-by-hop headers are about one connection; the gate's two connections each have their own.
_HOP_BY_HOP = {
    b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"te", b"trailer", b"upgrade",
    b"host", b"content-length",
}  # fmt: skip

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class Refused(Exception):
    """The request did not prove it came through the ALB's sign-in; the message says why (never the token)."""


def signer_region(signer: str) -> str:
    """The region of an ALB ARN (or of an ARN prefix `...:loadbalancer/app/<name>/`)."""
    match = _ALB_ARN.match(signer)
    if not match:
        raise ValueError(
            f"MPLAT_ALB_SIGNER {signer!r} is not an Application Load Balancer ARN "
            "(arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/...)"
        )
    return match["region"]


@dataclass
class AlbTrust:
    """Whose signature to accept. `signer` is the ALB's ARN, or a prefix of it ending in `/`: the task definition
    knows the ALB's name before the ALB exists, not the random id AWS appends to its ARN."""

    signer: str
    key_url: str = DEFAULT_KEY_URL
    leeway_seconds: float = 30.0
    clock: Callable[[], float] = time.time
    _keys: dict[str, ec.EllipticCurvePublicKey] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def signer_ok(self, arn: str) -> bool:
        return arn.startswith(self.signer) if self.signer.endswith("/") else arn == self.signer

    def public_key(self, kid: str) -> ec.EllipticCurvePublicKey:
        if not _KID.match(kid):
            raise Refused("token header has an unusable key id")
        with self._lock:
            if kid in self._keys:
                return self._keys[kid]
        url = self.key_url.format(region=signer_region(self.signer), kid=kid)
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (https, or a test's localhost)
                pem = response.read(16 * 1024)
        except OSError as err:
            raise Refused(
                f"cannot fetch the ALB's public key for this token ({err.__class__.__name__})"
            ) from None
        try:
            key = load_pem_public_key(pem)
        except ValueError:
            raise Refused("the ALB's public key endpoint did not answer with a PEM key") from None
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise Refused("the ALB's public key is not an elliptic-curve key")
        with self._lock:
            self._keys[kid] = key
        return key

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims if the ALB signed it, for us, and it has not expired; else `Refused`."""
        parts = token.strip().split(".")
        if len(parts) != 3:
            raise Refused(f"{HEADER} is not a signed token")
        header, claims = _json_part(parts[0], "header"), _json_part(parts[1], "claims")
        if header.get("alg") != "ES256":
            raise Refused(f"token algorithm {str(header.get('alg'))[:16]!r} is not ES256")
        if not isinstance(header.get("signer"), str) or not self.signer_ok(header["signer"]):
            raise Refused("token was not signed by this server's load balancer")
        expires = header.get("exp", claims.get("exp"))
        if not isinstance(expires, int | float) or expires + self.leeway_seconds < self.clock():
            raise Refused("token has expired (or carries no expiry)")
        key = self.public_key(str(header.get("kid", "")))
        raw = _b64decode(parts[2])
        if len(raw) != 64:
            raise Refused("token signature is not an ES256 signature")
        signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        try:
            key.verify(signature, f"{parts[0]}.{parts[1]}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise Refused("token signature does not match the ALB's key") from None
        return claims


def _b64decode(part: str) -> bytes:
    """base64url with or without padding (the ALB pads its tokens, JWT libraries do not)."""
    try:
        return base64.urlsafe_b64decode(part.rstrip("=") + "=" * (-len(part.rstrip("=")) % 4))
    except ValueError:
        raise Refused(f"{HEADER} is not base64url") from None


def _json_part(part: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(part))
    except ValueError:
        raise Refused(f"token {what} is not JSON") from None
    if not isinstance(value, dict):
        raise Refused(f"token {what} is not a JSON object")
    return value


@dataclass
class Gate:
    """ASGI app: check the ALB's token, then forward to marimo on 127.0.0.1:`upstream_port`."""

    trust: AlbTrust
    upstream_port: int
    log: Callable[[str], None] = print

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] not in ("http", "websocket"):
            return
        if scope["type"] == "websocket" and (await receive())["type"] != "websocket.connect":
            return
        if scope["path"] != HEALTH_PATH:
            token = dict(scope["headers"]).get(HEADER.encode(), b"").decode("latin-1")
            try:
                if not token:
                    raise Refused(f"no {HEADER} header: the request did not come through the ALB's sign-in")
                await asyncio.to_thread(
                    self.trust.verify, token
                )  # may fetch the key once: off the event loop
            except Refused as why:
                self.log(f"mplat server: refused {scope['type']} {scope['path']}: {why}")
                await _refuse(scope, send, str(why))
                return
        if scope["type"] == "http":
            await self._forward_http(scope, receive, send)
        else:
            await self._forward_websocket(scope, receive, send)

    async def _forward_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            await _plain(send, 502, "marimo is not answering yet")
            return
        target = scope["raw_path"].decode("latin-1") if scope.get("raw_path") else scope["path"]
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        # HTTP/1.0 without keep-alive: the answer ends when marimo closes the connection (no chunked framing).
        lines = [f"{scope['method']} {target} HTTP/1.0", f"Host: 127.0.0.1:{self.upstream_port}"]
        lines += [
            f"{k.decode('latin-1')}: {v.decode('latin-1')}"
            for k, v in scope["headers"]
            if k not in _HOP_BY_HOP
        ]
        lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        try:
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            headers = []
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower().encode() not in _HOP_BY_HOP:
                    headers.append((name.strip().lower().encode(), value.strip().encode("latin-1")))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            while chunk := await reader.read(64 * 1024):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            writer.close()

    async def _forward_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        skip = _HOP_BY_HOP | {b"sec-websocket-key", b"sec-websocket-version", b"sec-websocket-extensions"}
        skip |= {b"sec-websocket-protocol"}
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"] if k not in skip]
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"ws://127.0.0.1:{self.upstream_port}{scope['path']}" + (f"?{query}" if query else "")
        subprotocols = scope.get("subprotocols") or None
        try:
            upstream = await connect(
                url, additional_headers=headers, subprotocols=subprotocols, max_size=None, open_timeout=10
            )
        except Exception:  # noqa: BLE001 (marimo refused or is not up: close the client's socket)
            await send({"type": "websocket.close", "code": 1011})
            return
        await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})

        async def client_to_marimo() -> None:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    await upstream.close()
                    return
                data = message.get("text") if message.get("text") is not None else message.get("bytes")
                if data is not None:
                    await upstream.send(data)

        async def marimo_to_client() -> None:
            try:
                async for data in upstream:
                    key = "text" if isinstance(data, str) else "bytes"
                    await send({"type": "websocket.send", key: data})
            except ConnectionClosed:
                pass
            await send({"type": "websocket.close", "code": upstream.close_code or 1000})

        tasks = [asyncio.create_task(client_to_marimo()), asyncio.create_task(marimo_to_client())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await upstream.close()


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _refuse(scope: Scope, send: Send, why: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})  # policy violation
    else:
        await _plain(send, 401, f"401 Unauthorized: {why}\n")


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
