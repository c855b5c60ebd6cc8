"""GET one public URL: every hop checked and pinned, redirects followed by hand, the body size-capped, and all
of it over by the deadline."""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final
from urllib.parse import urljoin

from postbacks.outbound import pinned
from postbacks.outbound.address_policy import Target, parse_target
from postbacks.outbound.deadline import Deadline
from postbacks.outbound.outcomes import FinalFetchError, Outcome, TransientFetchError
from postbacks.outbound.resolve import resolve

REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_GONE: Final = frozenset({404, 410})
# The server may answer these later.
_RETRY_LATER: Final = frozenset({408, 429})
_USER_AGENT: Final = "postbacks-media/1"


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int
    connect_timeout: float  # each DNS lookup, connect and TLS handshake
    read_timeout: float  # each read: the deadline bounds the whole fetch
    max_redirects: int
    allow_loopback: bool  # local runs only: the media host is on 127.0.0.1


class Body:
    """A 200 answer's body, read in full-sized pieces, counted as it arrives and never past the limit."""

    def __init__(self, response: http.client.HTTPResponse, max_bytes: int) -> None:
        self._response = response
        self._max_bytes = max_bytes
        self.declared = response.length  # None when chunked or delimited by close
        if self.declared is not None and self.declared > max_bytes:
            raise FinalFetchError(f"Content-Length {self.declared} exceeds {max_bytes} bytes", Outcome.TOO_LARGE)
        self.content_type = response.getheader("Content-Type")
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        """`size` bytes (everything left when negative), fewer only at the end of the body."""
        # One byte past the limit is enough to know the body is too large.
        limit = self._max_bytes + 1 - self.size
        if size >= 0:
            limit = min(limit, size)
        if self.declared is not None:
            limit = min(limit, self.declared - self.size)  # a small file gets a small buffer
        try:
            # http.client fills a piece of Content-Length in place, one allocation: the caller holds the only copy.
            piece = self._response.read(limit)
        except (OSError, http.client.IncompleteRead) as exc:
            raise TransientFetchError(f"reading the body failed after {self.size} bytes: {exc!r}") from exc
        except http.client.HTTPException as exc:
            raise malformed(exc) from exc
        self.size += len(piece)
        if self.size > self._max_bytes:
            raise FinalFetchError(f"body exceeds {self._max_bytes} bytes", Outcome.TOO_LARGE)
        if len(piece) < limit or (self.declared is not None and self.size == self.declared):
            self._check_complete()
        return piece

    def _check_complete(self) -> None:
        # http.client reports a connection closed early as a plain end of body; Content-Length tells them apart.
        if self.declared is not None and self.size != self.declared:
            raise TransientFetchError(f"connection closed after {self.size} of {self.declared} bytes")


@contextmanager
def open_url(url: str, limits: FetchLimits, deadline: Deadline) -> Iterator[Body]:
    """GET `url`, following redirects; raises FinalFetchError or TransientFetchError unless it answers 200."""
    target = _checked(url)
    current = url
    for redirects in range(limits.max_redirects + 1):
        addresses = resolve(
            target, allow_loopback=limits.allow_loopback, timeout=limits.connect_timeout, deadline=deadline
        )
        connection = pinned.connection(
            target,
            addresses,
            connect_timeout=limits.connect_timeout,
            read_timeout=limits.read_timeout,
            deadline=deadline,
        )
        try:
            response = _get(connection, target)
            if response.status not in REDIRECTS:
                yield Body(response, limits.max_bytes)
                return
            location = (response.getheader("Location") or "").strip()
        finally:
            connection.close()
        if not location:
            raise FinalFetchError(f"HTTP {response.status} without Location")
        if redirects == limits.max_redirects:
            break
        # Every hop is checked afresh: a public host may redirect to a private one.
        current = urljoin(current, location)
        next_target = parse_target(current)
        if isinstance(next_target, str):
            raise FinalFetchError(f"redirect to {current!r}: {next_target}", Outcome.REFUSED)
        target = next_target
    raise FinalFetchError(f"more than {limits.max_redirects} redirects")


def malformed(error: http.client.HTTPException) -> FinalFetchError:
    """A response HTTP cannot read (bad status line, HTTP/0.9, 100+ headers, a header line over 64 KiB...):
    the host answered, and would answer the same again, so it is final like a 404, never retried."""
    return FinalFetchError(f"malformed HTTP response: {error!r}"[:300], Outcome.FAILED)


def _checked(url: str) -> Target:
    target = parse_target(url)
    if isinstance(target, str):
        raise FinalFetchError(target, Outcome.REFUSED)
    return target


def _get(connection: pinned.PinnedHTTPConnection, target: Target) -> http.client.HTTPResponse:
    """Send the GET and classify the status; only 200 and redirects come back."""
    try:
        connection.request(
            "GET",
            target.request_path,
            # identity: the body must be the bytes the URL names, not a compressed form of them.
            headers={"User-Agent": _USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity"},
        )
        response = connection.getresponse()
    except ssl.SSLCertVerificationError as exc:
        raise FinalFetchError(f"TLS certificate of {target.host!r} does not verify: {exc.verify_message}") from exc
    except (OSError, http.client.RemoteDisconnected) as exc:  # timeouts, resets, a host hanging up unanswered
        raise TransientFetchError(f"GET {target.host}: {exc!r}") from exc
    except http.client.HTTPException as exc:
        raise malformed(exc) from exc
    status = response.status
    if status == 200 or status in REDIRECTS:
        return response
    if status in _GONE:
        raise FinalFetchError(f"HTTP {status}", Outcome.NOT_FOUND)
    if status >= 500 or status in _RETRY_LATER:
        raise TransientFetchError(f"GET {target.host}: HTTP {status}")
    raise FinalFetchError(f"HTTP {status}")
