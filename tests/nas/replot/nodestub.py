"""A stand-in for a chia full node's RPC on 127.0.0.1: HTTPS with the chia root's private
full-node certificate, client certificates required and checked against the root's private CA
(as the real node's RPC server does), answering ``get_blockchain_state`` with a set state."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from nas.replot.node import CA_CERT, CLIENT_CERT, CLIENT_KEY


@dataclass
class NodeStub:
    port: int
    state: dict[str, Any] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def answer(self, height: int | None, synced: bool = True) -> None:
        peak = None if height is None else {"height": height}
        self.state = {"blockchain_state": {"peak": peak, "sync": {"synced": synced}}, "success": True}


@contextmanager
def node_stub(chia_root: Path) -> Iterator[NodeStub]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(chia_root / CLIENT_CERT), str(chia_root / CLIENT_KEY))
    ctx.load_verify_locations(str(chia_root / CA_CERT))
    ctx.verify_mode = ssl.CERT_REQUIRED
    stub = NodeStub(0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            stub.requests.append(self.path)
            body = json.dumps(stub.state).encode()
            self.send_response(200 if self.path == "/get_blockchain_state" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.timeout = 5
    stub.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
