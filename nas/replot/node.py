"""The current block height from a chia full node's RPC (I/O edge).

``POST https://host:port/get_blockchain_state`` with ``{}``, the way chia's own RPC clients do:
mutual TLS with the node's private client certificate (``config/ssl/full_node/private_full_node.crt``
and ``.key`` under the chia root) and the root's private CA (``config/ssl/ca/private_ca.crt``) to
verify the node. chia's certificates are issued for "chia.net", not the host: the CA, not the
name, is what is checked. Only a synced node's peak is trusted.

:func:`tls_context` and :func:`call` are every chia RPC client's here (the harvester's and the
farmer's in ``nas.farm.rpc`` too): the same mutual TLS, with that service's own certificate.
"""

from __future__ import annotations

import http.client
import json
import ssl
from pathlib import Path
from typing import Any

from common.errors import AppError

TIMEOUT = 5.0
MAX_ANSWER = 1 << 20
CLIENT_CERT = Path("config/ssl/full_node/private_full_node.crt")
CLIENT_KEY = Path("config/ssl/full_node/private_full_node.key")
CA_CERT = Path("config/ssl/ca/private_ca.crt")


class NodeError(AppError):
    """The node could not say its height (unreachable, TLS refused, not synced, odd answer)."""


def tls_context(chia_root: Path | None, cert: Path = CLIENT_CERT, key: Path = CLIENT_KEY,
                service: str = "full node", ca: Path = CA_CERT) -> ssl.SSLContext:
    """Mutual TLS as ``service``: its private certificate and key (relative to ``chia_root``)."""
    if chia_root is None:
        return ssl.create_default_context()
    try:
        ctx = ssl.create_default_context(cafile=str(chia_root / ca))
        ctx.load_cert_chain(str(chia_root / cert), str(chia_root / key))
    except (OSError, ssl.SSLError) as exc:
        raise NodeError(f"chia root {chia_root}: cannot load the {service}'s SSL files: {exc}") from None
    ctx.check_hostname = False  # chia's certificates all name chia.net; the private CA is the check
    return ctx


def call(where: str, host: str, port: int, endpoint: str, ctx: ssl.SSLContext, request: dict[str, Any],
         timeout: float = TIMEOUT, limit: int = MAX_ANSWER) -> bytes:
    """POST ``request`` to a chia RPC ``endpoint``; the raw answer (at most ``limit`` bytes)."""
    conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
    try:
        conn.request("POST", f"/{endpoint}", body=json.dumps(request).encode(),
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        body = response.read(limit + 1)
    except (OSError, http.client.HTTPException) as exc:
        raise NodeError(f"{where}: {exc}") from None
    finally:
        conn.close()
    if response.status != 200 or len(body) > limit:
        raise NodeError(f"{where}: HTTP {response.status}" + (" (answer too long)" if len(body) > limit else ""))
    return body


def answer(where: str, body: bytes) -> dict[str, Any]:
    """A chia RPC answer that says it succeeded, as a dict; :class:`NodeError` otherwise."""
    try:
        data = json.loads(body)
    except ValueError:
        raise NodeError(f"{where}: not a JSON answer") from None
    if not isinstance(data, dict) or data.get("success") is not True:
        error = data.get("error") if isinstance(data, dict) else None
        raise NodeError(f"{where}: the call failed: {str(error)[:200]}")
    return data


def peak_height(host: str, port: int, chia_root: Path | None, timeout: float = TIMEOUT) -> int:
    """The synced node's peak height; :class:`NodeError` says why not."""
    where = f"full node https://{host}:{port}"
    return _height(where, call(where, host, port, "get_blockchain_state", tls_context(chia_root), {}, timeout))


def _height(where: str, body: bytes) -> int:
    try:
        state = json.loads(body)["blockchain_state"]
        sync, peak = state["sync"], state["peak"]
    except (ValueError, KeyError, TypeError):
        raise NodeError(f"{where}: not a get_blockchain_state answer") from None
    if not isinstance(sync, dict) or sync.get("synced") is not True:
        tip = sync.get("sync_tip_height") if isinstance(sync, dict) else None
        raise NodeError(f"{where}: not synced (its peak is not the chain's height; sync tip {tip})")
    height = peak.get("height") if isinstance(peak, dict) else None
    if not isinstance(height, int) or isinstance(height, bool) or not 0 <= height < 2**32:
        raise NodeError(f"{where}: peak height {str(height)[:20]!r} is not a block height")
    return height
