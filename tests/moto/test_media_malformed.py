"""A media host whose answer HTTP cannot read gets a final `failed`, like a 404: the same host would answer the same
again, so retrying it only fills the DLQ. Timeouts, resets and hang-ups stay transient.

The host is a raw socket server on 127.0.0.1 that answers every request with the bytes it is given.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postbacks.outbound.deadline import Deadline
from postbacks.outbound.fetch import FetchLimits, open_url
from postbacks.outbound.outcomes import FinalFetchError, Outcome, TransientFetchError
from postbacks.storage.store import PostbackStore
from postbacks_cli.local_stacks import StackResources
from tests.helpers import Invoke, drain
from tests.moto.test_worker import mms_mo, post

LOCAL = FetchLimits(max_bytes=1 << 20, connect_timeout=2.0, read_timeout=2.0, max_redirects=3, allow_loopback=True)


class RawHost:
    """Answers each connection with `answer` (after reading the request's head), then closes it; `reset` aborts."""

    def __init__(self) -> None:
        self.answer = b""
        self.reset = False
        host = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                connection: socket.socket = self.request
                connection.settimeout(2)
                head = b""
                while b"\r\n\r\n" not in head:
                    piece = connection.recv(4096)
                    if not piece:
                        return
                    head += piece
                if host.reset:  # RST instead of FIN: a connection reset by peer
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    return
                with contextlib.suppress(OSError):  # the client gave up reading: its answer is what is tested
                    connection.sendall(host.answer)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RawHost:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file.jpg"


@pytest.fixture(scope="module")
def host() -> Iterator[RawHost]:
    with RawHost() as server:
        yield server


def fetch(host: RawHost, answer: bytes) -> bytes:
    host.answer = answer
    with open_url(host.url, LOCAL, Deadline(float("inf"))) as body:
        return body.read()


HEADERS_101 = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % n for n in range(101)) + b"\r\n"
MALFORMED = {
    "bad status line": b"HTTP/1.1 abc OK\r\n\r\n",
    "not HTTP at all": b"hello, this is not HTTP\r\n\r\n",
    "HTTP/0.9, a body and no status line": b"GIF89a\x01\x00\x01\x00 the file itself",
    "an HTTP version we do not speak": b"HTTP/3 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "a status of four digits": b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
    "more than 100 headers": HEADERS_101,
    "a 70 KB header line": b"HTTP/1.1 200 OK\r\nX-Big: " + b"x" * 70_000 + b"\r\n\r\n",
    "a 70 KB status line": b"HTTP/1.1 200 " + b"x" * 70_000 + b"\r\n\r\n",
    "a 70 KB chunk-size line": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 70_000 + b"\r\n",
}


@pytest.mark.parametrize("answer", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_response_is_a_final_failure_with_its_reason(host: RawHost, answer: bytes) -> None:
    with pytest.raises(FinalFetchError) as raised:
        fetch(host, answer)
    assert raised.value.outcome is Outcome.FAILED
    assert raised.value.detail.startswith("malformed HTTP response: ")
    assert len(raised.value.detail) <= 300  # a hostile line is not copied whole into the record


TRANSIENT = {
    "hung up without answering": b"",
    "body cut short": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
    "chunked body cut short": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly-8-b",
}


@pytest.mark.parametrize("answer", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_a_host_that_hangs_up_stays_transient(host: RawHost, answer: bytes) -> None:
    with pytest.raises(TransientFetchError):
        fetch(host, answer)


def test_a_connection_reset_stays_transient(host: RawHost) -> None:
    host.reset = True
    try:
        with pytest.raises(TransientFetchError):
            fetch(host, b"HTTP/1.1 200 OK\r\n\r\n")
    finally:
        host.reset = False


def not_a_status_line(first: bytes) -> bool:
    return not first.startswith(b"HTTP/")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(min_size=1, max_size=2048).filter(not_a_status_line))
def test_any_answer_without_a_status_line_is_final(host: RawHost, garbage: bytes) -> None:
    with pytest.raises(FinalFetchError) as raised:
        fetch(host, garbage)
    assert raised.value.outcome is Outcome.FAILED


status_lines = st.one_of(
    st.just(b"HTTP/1.1 200 OK\r\n"),
    st.builds(lambda code: b"HTTP/1.1 %d X\r\n" % code, st.integers(0, 99) | st.integers(1000, 10**6)),
    st.binary(max_size=40).map(lambda tail: b"HTTP/" + tail + b"\r\n"),
)
header_lines = st.lists(st.binary(max_size=60).map(lambda line: line.replace(b"\n", b"") + b"\r\n"), max_size=120)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(status=status_lines, headers=header_lines, body=st.binary(max_size=300))
def test_garbage_is_read_or_final_or_transient_never_an_error_of_another_kind(
    host: RawHost, status: bytes, headers: list[bytes], body: bytes
) -> None:
    outcome: Any
    try:
        outcome = fetch(host, status + b"".join(headers) + b"\r\n" + body)
    except FinalFetchError as error:
        outcome = error.outcome
    except TransientFetchError:
        outcome = "transient"
    assert isinstance(outcome, bytes | Outcome) or outcome == "transient"
    if status == b"HTTP/1.1 200 OK\r\n" and all(line != b"\r\n" for line in headers[:101]) and len(headers) > 100:
        assert outcome is Outcome.FAILED  # more than 100 headers


def test_malformed_media_is_recorded_failed_not_retried(
    ingest: Invoke, worker: Invoke, stack: StackResources, host: RawHost
) -> None:
    host.answer = MALFORMED["more than 100 headers"]
    post(ingest, mms_mo([host.url]))
    assert drain(stack, worker) == []  # acknowledged: nothing left for the queue to retry into the DLQ
    message = PostbackStore(stack.table_name).get_message("MMS_MO_test1")
    assert message is not None
    assert [(entry["state"], entry["detail"][:25]) for entry in message.media] == [
        ("failed", "malformed HTTP response: ")
    ]
