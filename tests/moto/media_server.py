"""A local HTTP server standing in for a carrier's MMS content host: files, errors, redirects, slow answers."""

from __future__ import annotations

import datetime
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from postbacks.outbound import pinned

SMALL_BODY = b"GIF89a\x01\x00\x01\x00" + bytes(range(256)) * 4
SLOW_SECONDS = 2.0
BLOCK = 64 * 1024


def generated(size: int) -> Iterator[bytes]:
    """`size` bytes in 64 KiB blocks, each block different so a reordered part changes the digest."""
    sent = 0
    index = 0
    while sent < size:
        block = (index.to_bytes(4, "big") * (BLOCK // 4))[: size - sent]
        yield block
        sent += len(block)
        index += 1


def self_signed_certificate(directory: Path, host_name: str) -> Path:
    """A PEM file holding a key and a certificate valid for `host_name` only; also usable as a CA file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host_name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / f"{host_name}.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + certificate.public_bytes(serialization.Encoding.PEM)
    )
    return path


class MediaServer:
    """ThreadingHTTPServer on 127.0.0.1 in a daemon thread; records every path and Host header it receives."""

    def __init__(self, certificate: Path | None = None) -> None:
        self.hits: list[str] = []
        self.host_headers: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: pytest shows failures, not access logs

            def do_GET(self) -> None:
                server.hits.append(self.path)
                server.host_headers.append(self.headers.get("Host"))
                server.route(self)

            do_POST = do_HEAD = do_GET  # any request is a hit: a canary must see fetches of every kind

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.scheme = "http"
        if certificate is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certificate)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> MediaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def route(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        match parts.path:
            case "/small.gif":
                self._send(handler, 200, SMALL_BODY, content_type="image/gif")
            case "/generated":
                size = int(query["size"])
                if query.get("framing") == "chunked":
                    self._send_chunked(handler, generated(size))
                else:
                    self._send_blocks(handler, generated(size), length=size)
            case "/claims-huge":
                # Declares a size over the limit; a correct client stops before reading any of it.
                self._send_blocks(handler, iter([b"x" * 1024]), length=10**12)
            case "/status":
                self._send(handler, int(query["code"]), b"status page")
            case "/slow":
                handler.send_response(200)
                handler.send_header("Content-Length", "4")
                handler.end_headers()
                handler.wfile.flush()
                time.sleep(SLOW_SECONDS)
                handler.wfile.write(b"late")
            case "/trickle":
                # Every byte well inside any read timeout, the whole body far outside any deadline; `lead` bytes
                # first at full speed (so a multipart upload is under way when the trickle starts).
                lead = int(query.get("lead", "0"))
                body = b"x" * int(query.get("bytes", "10000"))
                self._trickle(handler, body, float(query.get("gap", "0.05")), lead=lead)
            case "/trickle-headers":
                # The same, before the status line is even complete.
                self._trickle(handler, b"", float(query.get("gap", "0.05")), headers_too=True)
            case "/truncated":
                # Promises more than it sends, then hangs up: a dropped connection, not a small file.
                handler.send_response(200)
                handler.send_header("Content-Length", "1000")
                handler.end_headers()
                handler.wfile.write(b"x" * 500)
                handler.close_connection = True
            case "/redirect":
                handler.send_response(int(query.get("code", "302")))
                handler.send_header("Location", query["to"])
                handler.send_header("Content-Length", "0")
                handler.end_headers()
            case "/loop":
                handler.send_response(302)
                handler.send_header("Location", "/loop")
                handler.send_header("Content-Length", "0")
                handler.end_headers()
            case _:
                self._send(handler, 404, b"no such file")

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "text/plain") -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def _trickle(
        handler: BaseHTTPRequestHandler, body: bytes, gap: float, *, headers_too: bool = False, lead: int = 0
    ) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body) or 10000}\r\nContent-Type: image/gif\r\n\r\n".encode()
        try:
            if not headers_too:
                handler.wfile.write(head)
                handler.wfile.write(body[:lead])
            for byte in head if headers_too else body[lead:]:
                handler.wfile.write(bytes([byte]))
                time.sleep(gap)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should
        handler.close_connection = True

    @staticmethod
    def _send_blocks(handler: BaseHTTPRequestHandler, blocks: Iterator[bytes], length: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "video/mp4")
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        try:
            for block in blocks:
                handler.wfile.write(block)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading on purpose (size limit)
        handler.close_connection = True

    @staticmethod
    def _send_chunked(handler: BaseHTTPRequestHandler, blocks: Iterator[bytes]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "video/mp4")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            for block in blocks:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
            handler.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading on purpose (size limit)
        handler.close_connection = True


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that reject the certificate or hang up early are what some tests are about


# --- fixtures (registered in tests/moto/conftest.py) ------------------------------------------------------------


@pytest.fixture(scope="module")
def media_server() -> Iterator[MediaServer]:
    with MediaServer() as server:
        yield server


@pytest.fixture
def media(media_server: MediaServer) -> MediaServer:
    """The module's media host, its record of requests emptied for this test."""
    media_server.hits.clear()
    media_server.host_headers.clear()
    return media_server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"), "localhost")


@pytest.fixture(scope="module")
def tls_server(certificate: Path) -> Iterator[MediaServer]:
    with MediaServer(certificate) as server:
        yield server


@pytest.fixture
def tls_media(tls_server: MediaServer) -> Iterator[MediaServer]:
    """The HTTPS media host; no CA trusts its certificate unless the test also asks for `trusted`."""
    tls_server.hits.clear()
    pinned.tls_context.cache_clear()
    yield tls_server
    pinned.tls_context.cache_clear()


@pytest.fixture
def trusted(certificate: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test certificate is the only trusted CA, read the way the default context reads one."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    pinned.tls_context.cache_clear()
    yield
    pinned.tls_context.cache_clear()


class RecordingServer(MediaServer):
    """A content host that answers every request with `status` and `body`, and remembers the paths asked for."""

    def __init__(self, status: int = 200, body: bytes = b"canary") -> None:
        super().__init__()
        self.status = status
        self.body = body

    def route(self, handler: BaseHTTPRequestHandler) -> None:
        self._send(handler, self.status, self.body, content_type="image/gif")
