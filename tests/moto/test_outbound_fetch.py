"""Safe outbound HTTP against a real server on 127.0.0.1: statuses, redirects, TLS, limits, refusals, deadline.

Nothing here knows S3: `open_url` hands back a body or raises what the caller should do about it.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from postbacks.outbound.deadline import Deadline
from postbacks.outbound.fetch import FetchLimits, open_url
from postbacks.outbound.outcomes import DeadlineExceeded, FinalFetchError, Outcome, TransientFetchError
from tests.helpers import free_port
from tests.moto.media_server import SLOW_SECONDS, SMALL_BODY, MediaServer, generated

MiB = 1024 * 1024
LOCAL = FetchLimits(max_bytes=MiB, connect_timeout=2.0, read_timeout=5.0, max_redirects=3, allow_loopback=True)
INTERNET = FetchLimits(max_bytes=MiB, connect_timeout=2.0, read_timeout=5.0, max_redirects=3, allow_loopback=False)
NO_DEADLINE = Deadline(float("inf"))


def fetch(url: str, limits: FetchLimits = LOCAL, deadline: Deadline = NO_DEADLINE) -> bytes:
    with open_url(url, limits, deadline) as body:
        return bytes(body.read())


def final(url: str, limits: FetchLimits = LOCAL) -> FinalFetchError:
    with pytest.raises(FinalFetchError) as raised:
        fetch(url, limits)
    return raised.value


def limits(**changes: Any) -> FetchLimits:
    return FetchLimits(**{name: getattr(LOCAL, name) for name in FetchLimits.__dataclass_fields__} | changes)


# --- answers ----------------------------------------------------------------------------------------------------


def test_file_comes_back_byte_for_byte_with_its_content_type(media: MediaServer) -> None:
    with open_url(media.url("/small.gif"), LOCAL, NO_DEADLINE) as body:
        assert (body.read(), body.content_type, body.size) == (SMALL_BODY, "image/gif", len(SMALL_BODY))


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_reads_are_whole_pieces_until_the_last(media: MediaServer, framing: str) -> None:
    # A short piece means the end: the transfer manager sends each piece as one S3 part
    size = 250_000
    with open_url(media.url(f"/generated?size={size}&framing={framing}"), LOCAL, NO_DEADLINE) as body:
        pieces = [len(body.read(100_000)) for _ in range(4)]
    assert pieces == [100_000, 100_000, 50_000, 0]


@pytest.mark.parametrize(("code", "outcome"), [(404, Outcome.NOT_FOUND), (410, Outcome.NOT_FOUND)])
def test_missing_file_is_not_found(media: MediaServer, code: int, outcome: Outcome) -> None:
    error = final(media.url(f"/status?code={code}"))
    assert (error.outcome, error.detail) == (outcome, f"HTTP {code}")


@pytest.mark.parametrize("code", [400, 401, 403, 451])
def test_other_client_error_is_failed(media: MediaServer, code: int) -> None:
    error = final(media.url(f"/status?code={code}"))
    assert (error.outcome, error.detail) == (Outcome.FAILED, f"HTTP {code}")


@pytest.mark.parametrize("code", [500, 502, 503, 429])
def test_server_error_is_transient(media: MediaServer, code: int) -> None:
    with pytest.raises(TransientFetchError, match=f"HTTP {code}"):
        fetch(media.url(f"/status?code={code}"))


def test_server_slower_than_read_timeout_is_transient(media: MediaServer) -> None:
    quick = limits(read_timeout=0.3)
    assert quick.read_timeout < SLOW_SECONDS

    with pytest.raises(TransientFetchError, match="timed out") as raised:
        fetch(media.url("/slow"), quick)
    assert isinstance(raised.value.__cause__, TimeoutError)
    assert not isinstance(raised.value, DeadlineExceeded)


def test_refused_connection_is_transient() -> None:
    with pytest.raises(TransientFetchError) as raised:
        fetch(f"http://127.0.0.1:{free_port()}/x")
    assert isinstance(raised.value.__cause__, ConnectionRefusedError)


def test_body_cut_short_of_its_content_length_is_transient(media: MediaServer) -> None:
    with pytest.raises(TransientFetchError, match="500 of 1000 bytes"):
        fetch(media.url("/truncated"))


# --- redirects --------------------------------------------------------------------------------------------------


def test_redirect_is_followed_to_the_file(media: MediaServer) -> None:
    assert fetch(media.url("/redirect?code=301&to=/small.gif")) == SMALL_BODY
    assert media.hits == ["/redirect?code=301&to=/small.gif", "/small.gif"]


def test_too_many_redirects_is_failed_after_the_limit(media: MediaServer) -> None:
    error = final(media.url("/loop"))
    assert (error.outcome, error.detail) == (Outcome.FAILED, "more than 3 redirects")
    assert len(media.hits) == 1 + LOCAL.max_redirects


def test_no_redirect_allowed_fails_on_the_first(media: MediaServer) -> None:
    assert final(media.url("/redirect?to=/small.gif"), limits(max_redirects=0)).outcome is Outcome.FAILED
    assert media.hits == ["/redirect?to=/small.gif"]


# --- size -------------------------------------------------------------------------------------------------------


def test_declared_length_over_limit_is_too_large_without_reading(media: MediaServer) -> None:
    error = final(media.url("/claims-huge"))
    assert (error.outcome, error.detail) == (Outcome.TOO_LARGE, f"Content-Length 1000000000000 exceeds {MiB} bytes")


def test_streamed_body_over_limit_is_too_large(media: MediaServer) -> None:
    # Given no Content-Length (chunked), so only counting the bytes can tell
    error = final(media.url("/generated?size=5000&framing=chunked"), limits(max_bytes=4999))
    assert (error.outcome, error.detail) == (Outcome.TOO_LARGE, "body exceeds 4999 bytes")


def test_body_exactly_at_the_limit_is_read(media: MediaServer) -> None:
    body = fetch(media.url("/generated?size=5000&framing=chunked"), limits(max_bytes=5000))
    assert body == b"".join(generated(5000))


# --- TLS --------------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("trusted")
def test_https_is_read_when_the_certificate_names_the_url_host(tls_media: MediaServer) -> None:
    # Given a certificate for "localhost"; the connection goes to the checked 127.0.0.1, TLS still names localhost
    assert fetch(tls_media.url("/small.gif", host="localhost")) == SMALL_BODY


@pytest.mark.usefixtures("trusted")
def test_https_certificate_for_another_host_is_failed(tls_media: MediaServer) -> None:
    error = final(tls_media.url("/small.gif", host="127.0.0.1"))
    assert error.outcome is Outcome.FAILED
    assert "does not verify" in error.detail
    assert tls_media.hits == []


def test_https_untrusted_certificate_is_failed(tls_media: MediaServer) -> None:
    error = final(tls_media.url("/small.gif", host="localhost"))
    assert error.outcome is Outcome.FAILED
    assert "does not verify" in error.detail
    assert tls_media.hits == []


# --- refused before any connection ------------------------------------------------------------------------------


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every address any socket in this process connects to while the test runs."""
    seen: list[Any] = []
    real_connect = socket.socket.connect

    def spy(sock: socket.socket, address: Any) -> None:
        seen.append(address)
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    return seen


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://10.0.0.8/media.jpg",
    ],
)
def test_metadata_or_private_address_is_refused_even_with_loopback_allowed(connections: list[Any], url: str) -> None:
    assert final(url).outcome is Outcome.REFUSED
    assert connections == []


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/file.gif", "file:///etc/passwd", "gopher://127.0.0.1:70/"])
def test_non_http_scheme_is_refused(connections: list[Any], url: str) -> None:
    error = final(url)
    assert (error.outcome, "is not http or https" in error.detail) == (Outcome.REFUSED, True)
    assert connections == []


def test_localhost_is_refused_when_loopback_is_not_allowed(media: MediaServer) -> None:
    error = final(media.url("/small.gif", host="localhost"), INTERNET)
    assert (error.outcome, "is loopback" in error.detail) == (Outcome.REFUSED, True)
    assert media.hits == []


def test_redirect_to_metadata_address_is_refused_without_connecting(media: MediaServer, connections: list[Any]) -> None:
    error = final(media.url("/redirect?to=http://169.254.169.254/latest/meta-data/"))
    assert error.outcome is Outcome.REFUSED
    assert "169.254.169.254 is a cloud metadata address" in error.detail
    assert media.hits == ["/redirect?to=http://169.254.169.254/latest/meta-data/"]
    assert [a for a in connections if a[0] == "169.254.169.254"] == []


def test_redirect_to_another_scheme_is_refused(media: MediaServer) -> None:
    error = final(media.url("/redirect?to=file:///etc/passwd"))
    assert (error.outcome, "redirect to 'file:///etc/passwd'" in error.detail) == (Outcome.REFUSED, True)


def test_host_is_resolved_once_and_the_checked_address_is_the_one_used(
    media: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a name whose second answer differs from its first (DNS rebinding); nothing listens on 127.0.0.2
    answers = iter(["127.0.0.1", "127.0.0.2"])
    lookups: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        return real_getaddrinfo(next(answers), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)

    assert fetch(media.url("/small.gif", host="rebind.example")) == SMALL_BODY
    assert lookups == ["rebind.example"]
    assert media.host_headers == [f"rebind.example:{media.port}"]


# --- the overall deadline ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/trickle", "/trickle-headers"])
def test_server_trickling_bytes_is_given_up_at_the_deadline(media: MediaServer, path: str) -> None:
    # Given a server sending a byte every 50 ms: no read ever waits near the 5 s read timeout
    with pytest.raises(DeadlineExceeded):
        fetch(media.url(path), deadline=Deadline.after(0.5))
    assert media.hits == [path]


@pytest.mark.usefixtures("trusted")
def test_server_trickling_over_tls_is_given_up_at_the_deadline(tls_media: MediaServer) -> None:
    with pytest.raises(DeadlineExceeded):
        fetch(tls_media.url("/trickle", host="localhost"), deadline=Deadline.after(0.5))
    assert tls_media.hits == ["/trickle"]


def test_body_that_arrives_before_the_deadline_is_read(media: MediaServer) -> None:
    assert fetch(media.url("/trickle?bytes=5&gap=0.01"), deadline=Deadline.after(60)) == b"xxxxx"


def test_deadline_already_passed_connects_to_nothing(media: MediaServer, connections: list[Any]) -> None:
    with pytest.raises(DeadlineExceeded):
        fetch(media.url("/small.gif"), deadline=Deadline.after(-1))
    assert (media.hits, connections) == ([], [])
