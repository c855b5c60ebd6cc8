"""boto3 clients, created lazily once per container, with bounded timeouts, botocore retries and a deadline.

The sender gives up after 10 s. An invocation that sets a deadline (`deadline`) gets its DynamoDB
and SQS attempts refused once one more could not finish in time while still leaving room for one S3
attempt to keep the raw body; S3 attempts are refused only when they could not finish at all. A refused
attempt raises `AttemptTooLate`, a BotoCoreError, so callers treat it as storage being unavailable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.exceptions import ClientError
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

CONNECT_SECONDS = 1.0
READ_SECONDS = 2.0
# The longest one HTTP attempt can wait: its connection, then its answer.
ATTEMPT_SECONDS = CONNECT_SECONDS + READ_SECONDS
# Left for answering the sender after the last storage attempt.
ANSWER_MARGIN_SECONDS = 0.5
# Services whose attempts must leave room for one S3 attempt after them (keeping the raw body).
_STORAGE_SERVICES = frozenset({"dynamodb", "sqs"})

_deadline: float | None = None


class AttemptTooLate(BotoCoreError):
    fmt = "No time left for another {service} attempt before the answer is due"


def start_deadline(seconds: float | None) -> None:
    """Bound the AWS calls from now on to `seconds` from now (None: no bound, e.g. the queue worker)."""
    global _deadline  # one invocation at a time per container, as on Lambda
    _deadline = None if seconds is None else time.monotonic() + seconds


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Bound the AWS calls made inside the block, e.g. one invocation's."""
    start_deadline(seconds)
    try:
        yield
    finally:
        start_deadline(None)


def client_config() -> Config:
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_SECONDS,
        read_timeout=READ_SECONDS,
        retries={"mode": "standard", "max_attempts": 3},
    )


def _refuse_late_attempt(service: str, **_: Any) -> None:
    if _deadline is None:
        return
    needed = ATTEMPT_SECONDS + ANSWER_MARGIN_SECONDS
    if service in _STORAGE_SERVICES:
        needed += ATTEMPT_SECONDS
    if time.monotonic() + needed > _deadline:
        raise AttemptTooLate(service=service)


_creating = threading.Lock()


@cache
def _session() -> Any:
    # Deferred to the first call: boto3 is the largest import of a cold start, and not every answer needs it.
    import boto3

    return boto3.session.Session()


@cache
def _client(service: str) -> Any:
    # One session for every client: the second client reuses the first one's loaded endpoint and retry data.
    # Creating clients from one session is not thread-safe (the local stack and the tests run threads).
    with _creating:
        client = _session().client(service, config=client_config())
    # before-send fires once per HTTP attempt, retries included.
    client.meta.events.register("before-send", lambda **kwargs: _refuse_late_attempt(service, **kwargs))
    return client


def dynamodb() -> DynamoDBClient:
    return _client("dynamodb")  # type: ignore[no-any-return]


def s3() -> S3Client:
    return _client("s3")  # type: ignore[no-any-return]


def sqs() -> SQSClient:
    return _client("sqs")  # type: ignore[no-any-return]


def events() -> Any:
    return _client("events")


def secretsmanager() -> SecretsManagerClient:
    return _client("secretsmanager")  # type: ignore[no-any-return]


def reset_clients() -> None:
    _client.cache_clear()
    _session.cache_clear()


def is_not_found(error: ClientError) -> bool:
    """S3 says "no such object" as NoSuchKey on GET and as a bare 404 / NotFound on HEAD."""
    return error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")
