"""boto3 clients for the CLI: an operator's listing may read for a minute, which a Lambda's client must not."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient


@cache
def _client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    # Long reads and adaptive retries: a paginated query over a busy table is throttled, not broken.
    config = Config(connect_timeout=5, read_timeout=60, retries={"mode": "adaptive", "max_attempts": 10})
    return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]


def dynamodb() -> DynamoDBClient:
    return _client("dynamodb")  # type: ignore[no-any-return]


def s3() -> S3Client:
    return _client("s3")  # type: ignore[no-any-return]


def sqs() -> SQSClient:
    return _client("sqs")  # type: ignore[no-any-return]


def cloudwatch() -> CloudWatchClient:
    return _client("cloudwatch")  # type: ignore[no-any-return]


def events() -> Any:
    return _client("events")


def reset() -> None:
    """Forget the clients: --profile / --region changed the environment they are made from."""
    _client.cache_clear()
