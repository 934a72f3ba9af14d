"""Real servers on 127.0.0.1 for the notification tests: SMTP (aiosmtpd, plain or STARTTLS+AUTH),
an HTTP server that records requests (twilio, pushbullet, Sentry), and a self-signed certificate."""

from __future__ import annotations

import datetime
import gzip
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.sshd import free_port

USER, PASSWORD = "farmer", "s3cret-pass"


# -- SMTP -----------------------------------------------------------------------------------
@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        assert len(self.messages) >= count, f"expected {count} mails, got {len(self.messages)}"
        return self.messages


def part_text(mail: EmailMessage, kind: str) -> str:
    """The text of the ``plain`` or ``html`` part (the test fails if there is none)."""
    part = mail.get_body((kind,))
    assert part is not None, f"no {kind} part"
    text: str = part.get_content()
    return text


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        with self.box.arrived:
            self.box.messages.append(mail)
            if session.authenticated and session.auth_data is not None:
                self.box.logins.append(session.auth_data.login.decode())
            self.box.arrived.notify_all()
        return "250 OK"


@dataclass
class SmtpServer:
    port: int
    box: Mailbox
    ca_file: Path | None = None


def make_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult

    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@pytest.fixture
def smtp_plain() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = free_port()
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    yield SmtpServer(port, box)
    controller.stop()


def _server_tls(tmp_path: Path) -> tuple[Path, ssl.SSLContext]:
    cert, key = make_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


@pytest.fixture
def smtp_tls(tmp_path: Path) -> Iterator[SmtpServer]:
    """STARTTLS required before AUTH, AUTH required before mail."""
    from aiosmtpd.controller import Controller

    cert, context = _server_tls(tmp_path)
    box = Mailbox()
    port = free_port()
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port, ready_timeout=10,
                            tls_context=context, require_starttls=True, auth_required=True,
                            auth_require_tls=True, authenticator=_authenticator)
    controller.start()
    yield SmtpServer(port, box, cert)
    controller.stop()


@pytest.fixture
def smtp_ssl(tmp_path: Path) -> Iterator[SmtpServer]:
    """Implicit TLS (port-465 style) with AUTH."""
    from aiosmtpd.controller import Controller

    cert, context = _server_tls(tmp_path)
    box = Mailbox()
    port = free_port()
    # The connection is TLS from the first byte, which aiosmtpd's auth_require_tls does not know.
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port, ready_timeout=10,
                            ssl_context=context, auth_required=True, auth_require_tls=False,
                            authenticator=_authenticator)
    controller.start()
    yield SmtpServer(port, box, cert)
    controller.stop()


def dead_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    return free_port()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never says a word (an SMTP server that hangs)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


# -- HTTP ------------------------------------------------------------------------------------
@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        from urllib.parse import parse_qs

        return parse_qs(self.body.decode())


@dataclass
class HttpCapture:
    port: int
    requests: list[Request]
    arrived: threading.Condition

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self, predicate: Callable[[Request], bool], count: int = 1, timeout: float = 10.0) -> list[Request]:
        with self.arrived:
            self.arrived.wait_for(lambda: len([r for r in self.requests if predicate(r)]) >= count, timeout)
            found = [r for r in self.requests if predicate(r)]
        assert len(found) >= count, f"expected {count} matching requests, got {self.requests}"
        return found


def _reply_for(path: str) -> tuple[int, dict[str, Any]]:
    if "/Messages.json" in path:  # twilio: a created message resource
        return 201, {"sid": "SM" + "0" * 32, "status": "queued", "body": "", "num_segments": "1"}
    if path.endswith("/v2/pushes"):
        return 200, {"iden": "push1", "type": "note", "active": True}
    return 200, {}


@pytest.fixture
def http_capture() -> Iterator[HttpCapture]:
    requests: list[Request] = []
    arrived = threading.Condition()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            with arrived:
                requests.append(Request("POST", self.path, dict(self.headers), body))
                arrived.notify_all()
            status, payload = _reply_for(self.path)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield HttpCapture(server.server_address[1], requests, arrived)
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
