"""Fixtures for action calls: a real HTTP server on 127.0.0.1, a tripwire transport and fake DNS.

Everything here stays on loopback. Tests that expect a refusal pass ``tripwire`` as the
transport, so a guard that failed to refuse would hit an assertion instead of a network.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

HUGE_BYTES = 3 * 1024 * 1024
SLOW_SECONDS = 5


@dataclass
class LocalServer:
    url: str
    port: int
    paths: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    cafile: str = ""


class Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format, *args):  # keep pytest output clean
        pass

    def _answer(self, status: int, body: bytes, content_type: str = "application/json", **headers: str):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _route(self):
        self.server.local.paths.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/echo":
            echo = {"method": self.command, "headers": dict(self.headers.items()), "body": body.decode("utf-8"),
                    "client_port": self.client_address[1]}
            self._answer(200, json.dumps(echo).encode())
        elif self.path == "/set-cookie":
            self._answer(200, b"{}", Set_Cookie="session=from-another-process; Path=/")
        elif self.path == "/redirect":
            self._answer(302, b"", Location="http://169.254.169.254/latest/meta-data/")
        elif self.path == "/slow":
            # Waits on the stop event rather than sleeping, so teardown does not wait it out.
            self.server.local.stop.wait(SLOW_SECONDS)
            self._answer(200, b'{"late": true}')
        elif self.path == "/huge":
            self._stream_huge()
        elif self.path == "/drip":
            self._drip()
        elif self.path == "/error":
            self._answer(500, b'{"error": "boom"}')
        elif self.path == "/text":
            self._answer(200, b"plain words", content_type="text/plain; charset=utf-8")
        else:
            self._answer(404, b'{"error": "not found"}')

    def _stream_huge(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(HUGE_BYTES))
        self.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(HUGE_BYTES // len(chunk)):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client is expected to hang up early

    def _drip(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(SLOW_SECONDS * 10))
        self.end_headers()
        try:
            for _ in range(SLOW_SECONDS * 10):
                self.wfile.write(b"x")
                self.wfile.flush()
                if self.server.local.stop.wait(0.1):
                    return
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _route


class KeepAliveHandler(Handler):
    protocol_version = "HTTP/1.1"  # every answer has a Content-Length, so connections can stay open


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    local: LocalServer


def _serve(httpd: _Server, scheme: str):
    port = httpd.server_address[1]
    httpd.local = LocalServer(url=f"{scheme}://127.0.0.1:{port}", port=port)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.local
    httpd.local.stop.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=2)


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 (free port) with echo, redirect, slow, drip, huge, 500 and text routes."""
    yield from _serve(_Server(("127.0.0.1", 0), Handler), "http")


@pytest.fixture
def keepalive_server():
    """The same server speaking HTTP/1.1, so a client may reuse its connection."""
    yield from _serve(_Server(("127.0.0.1", 0), KeepAliveHandler), "http")


@pytest.fixture
def tls_server(tmp_path):
    """The same server over TLS, with a self-signed certificate for ``secure.test`` only.

    ``tls_server.cafile`` trusts that certificate. Needs the openssl command line tool.
    """
    if shutil.which("openssl") is None:
        pytest.skip("openssl command line tool not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=secure.test", "-addext", "subjectAltName=DNS:secure.test",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=10)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd = _Server(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    for local in _serve(httpd, "https"):
        local.cafile = str(cert)
        yield local


@pytest.fixture
def tripwire():
    """A transport that fails the test if a request ever gets as far as being sent."""
    sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        raise AssertionError(f"request to {request.url} was sent; it should have been refused")

    transport = httpx.MockTransport(handler)
    transport.sent = sent
    return transport


@pytest.fixture
def recorder():
    """A transport that answers 200 ``{"ok": true}`` without touching the network and keeps the requests."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    transport = httpx.MockTransport(handler)
    transport.seen = seen
    return transport


class FakeDNS:
    """Answers for made-up ``*.test`` names; each lookup takes the next answer and the last one repeats."""

    def __init__(self):
        self.answers: dict[str, list] = {}
        self.lookups: Counter[str] = Counter()

    def add(self, name: str, *answers):
        """Each answer is a list of addresses, an exception to raise, or a callable returning addresses."""
        self.answers[name] = list(answers)

    def resolve(self, name: str, port: int) -> list[tuple]:
        answers = self.answers[name]
        answer = answers[min(self.lookups[name], len(answers) - 1)]
        self.lookups[name] += 1
        if isinstance(answer, BaseException):
            raise answer
        addresses = answer() if callable(answer) else answer
        return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port, 0, 0)) if ":" in a
                else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port)) for a in addresses]


@pytest.fixture
def fake_dns(monkeypatch):
    """Fake DNS for ``*.test`` names; numeric hosts and other names still go to the real resolver."""
    dns = FakeDNS()
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in dns.answers:
            return real(host, port, family, type, proto, flags)
        if flags & socket.AI_NUMERICHOST:  # as the real resolver: a name is not a number
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return dns.resolve(host, port)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return dns
