"""boto3 clients, created lazily once per container with bounded timeouts and botocore retries."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient


@cache
def _client(service: str) -> Any:
    # Deferred to the first call: boto3 is the largest import of a cold start, and not every answer needs it.
    import boto3
    from botocore.config import Config

    # The sender gives up after 10 s: a storage call must fail fast enough to answer 5xx in time.
    config = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard", "max_attempts": 3})
    return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]


def dynamodb() -> DynamoDBClient:
    return _client("dynamodb")  # type: ignore[no-any-return]


def s3() -> S3Client:
    return _client("s3")  # type: ignore[no-any-return]


def sqs() -> SQSClient:
    return _client("sqs")  # type: ignore[no-any-return]


def reset_clients() -> None:
    _client.cache_clear()


def is_not_found(error: ClientError) -> bool:
    """S3 says "no such object" as NoSuchKey on GET and as a bare 404 / NotFound on HEAD."""
    return error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")
