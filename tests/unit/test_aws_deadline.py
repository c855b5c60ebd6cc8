"""The per-invocation deadline: storage attempts leave room for keeping the raw body; S3 may use that room."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from postbacks.storage import aws
from postbacks.storage.aws import ANSWER_MARGIN_SECONDS, ATTEMPT_SECONDS, AttemptTooLate


@pytest.fixture(autouse=True)
def no_deadline_after() -> Iterator[None]:
    yield
    aws.start_deadline(None)


def test_without_a_deadline_every_attempt_may_start() -> None:
    aws.start_deadline(None)
    for service in ("dynamodb", "sqs", "s3", "secretsmanager"):
        aws._refuse_late_attempt(service)


def test_a_storage_attempt_that_would_leave_no_room_to_keep_the_body_is_refused() -> None:
    # Room for one attempt plus the margin, not for a second (S3) attempt after it.
    aws.start_deadline(ATTEMPT_SECONDS + ANSWER_MARGIN_SECONDS + 1.0)
    for service in ("dynamodb", "sqs"):
        with pytest.raises(AttemptTooLate, match=service):
            aws._refuse_late_attempt(service)


def test_the_body_keeping_s3_attempt_may_use_the_room_storage_left() -> None:
    aws.start_deadline(ATTEMPT_SECONDS + ANSWER_MARGIN_SECONDS + 1.0)
    aws._refuse_late_attempt("s3")
    aws._refuse_late_attempt("secretsmanager")


def test_storage_may_start_while_two_attempts_still_fit() -> None:
    aws.start_deadline(2 * ATTEMPT_SECONDS + ANSWER_MARGIN_SECONDS + 1.0)
    aws._refuse_late_attempt("dynamodb")


def test_an_attempt_after_the_deadline_is_refused_for_s3_too() -> None:
    aws.start_deadline(ATTEMPT_SECONDS)
    with pytest.raises(AttemptTooLate):
        aws._refuse_late_attempt("s3")


def test_the_deadline_block_ends_the_bound() -> None:
    with aws.deadline(0.0), pytest.raises(AttemptTooLate):
        aws._refuse_late_attempt("s3")
    aws._refuse_late_attempt("s3")


def test_a_refused_attempt_is_a_botocore_error_so_storage_reads_it_as_unavailable() -> None:
    from botocore.exceptions import BotoCoreError

    assert issubclass(AttemptTooLate, BotoCoreError)
