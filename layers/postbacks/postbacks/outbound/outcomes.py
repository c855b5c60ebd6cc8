"""How an outbound fetch ends when it does not deliver a body: worth retrying, or final."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """A final answer: asking again gives the same one."""

    REFUSED = "refused"  # the URL or an address it resolves to may not be reached
    NOT_FOUND = "not_found"
    TOO_LARGE = "too_large"
    FAILED = "failed"  # another 4xx, too many redirects, a certificate that does not verify, a malformed response


class FinalFetchError(Exception):
    def __init__(self, detail: str, outcome: Outcome = Outcome.FAILED) -> None:
        super().__init__(detail)
        self.detail = detail
        self.outcome = outcome


class TransientFetchError(Exception):
    """5xx, timeouts, connection resets: the caller should try again later."""


class DeadlineExceeded(TransientFetchError):
    """The overall deadline passed: a slow or trickling server cannot hold the caller past it."""
