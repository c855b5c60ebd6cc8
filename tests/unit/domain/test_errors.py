"""A refusal says its reason and its sentence, apart and together."""

from __future__ import annotations

from postbacks.domain.errors import PostbackRejected, Reason


def test_a_refusal_reads_as_its_reason_then_its_detail() -> None:
    refused = PostbackRejected(Reason.EMPTY_BODY, "The request has no body.")
    assert (str(refused), refused.reason, refused.detail) == (
        "empty_body: The request has no body.",
        Reason.EMPTY_BODY,
        "The request has no body.",
    )
