"""Connections to addresses checked beforehand (see resolve), never to a fresh DNS answer; every blocking step
deadline-bound."""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Buffer, Iterator
from contextlib import contextmanager
from functools import cache

from postbacks.outbound.address_policy import Target
from postbacks.outbound.deadline import Deadline
from postbacks.outbound.outcomes import DeadlineExceeded
from postbacks.outbound.resolve import Addresses


@contextmanager
def _step(sock: socket.socket, deadline: Deadline, step_timeout: float, doing: str) -> Iterator[None]:
    """One blocking call, its timeout cut short by the deadline: a server sending a byte at a time still stops."""
    sock.settimeout(deadline.timeout(step_timeout))
    try:
        yield
    except TimeoutError as exc:
        if deadline.passed:
            raise DeadlineExceeded(f"deadline passed {doing}") from exc
        raise


class _BoundedSocket(socket.socket):
    deadline = Deadline(float("inf"))
    step_timeout = 0.0

    def recv_into(self, buffer: Buffer, nbytes: int = 0, flags: int = 0) -> int:
        with _step(self, self.deadline, self.step_timeout, "waiting for the server"):
            return super().recv_into(buffer, nbytes, flags)

    def sendall(self, data: Buffer, flags: int = 0, /) -> None:
        with _step(self, self.deadline, self.step_timeout, "sending the request"):
            super().sendall(data, flags)


class _BoundedTLSSocket(ssl.SSLSocket):
    deadline = Deadline(float("inf"))
    step_timeout = 0.0

    def recv_into(self, buffer: Buffer, nbytes: int | None = None, flags: int = 0) -> int:
        with _step(self, self.deadline, self.step_timeout, "waiting for the server"):
            return super().recv_into(buffer, nbytes, flags)

    def sendall(self, data: Buffer, flags: int = 0) -> None:
        with _step(self, self.deadline, self.step_timeout, "sending the request"):
            super().sendall(data, flags)


@cache
def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.sslsocket_class = _BoundedTLSSocket
    return context


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to `addresses` only; the Host header and TLS name stay the URL's host."""

    def __init__(
        self,
        host: str,
        port: int,
        addresses: Addresses,
        *,
        connect_timeout: float,
        read_timeout: float,
        deadline: Deadline,
    ) -> None:
        super().__init__(host, port, timeout=read_timeout)
        self._addresses = addresses
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._deadline = deadline

    def connect(self) -> None:
        error: OSError | None = None
        for family, sockaddr in self._addresses:
            sock = _BoundedSocket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            try:
                with _step(sock, self._deadline, self._connect_timeout, f"connecting to {self.host}"):
                    sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            except DeadlineExceeded:
                sock.close()
                raise
            # From here on each read and write gets the read timeout, cut short by the deadline.
            sock.deadline, sock.step_timeout = self._deadline, self._read_timeout
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = sock
            return
        raise error or OSError(f"no address to connect to for {self.host}")


class PinnedHTTPSConnection(PinnedHTTPConnection):
    default_port = 443

    def connect(self) -> None:
        super().connect()
        # The certificate is verified against the URL's host name, not the pinned address.
        tls = tls_context().wrap_socket(self.sock, server_hostname=self.host, do_handshake_on_connect=False)
        assert isinstance(tls, _BoundedTLSSocket)
        tls.deadline, tls.step_timeout = self._deadline, self._read_timeout
        self.sock = tls
        with _step(tls, self._deadline, self._connect_timeout, "in the TLS handshake"):
            tls.do_handshake()


def connection(
    target: Target, addresses: Addresses, *, connect_timeout: float, read_timeout: float, deadline: Deadline
) -> PinnedHTTPConnection:
    kind = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    return kind(
        target.host,
        target.port,
        addresses,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        deadline=deadline,
    )
