"""The 10 s answer: a slow table makes ingest stop retrying in time to keep the raw body and answer 503.

The slowness is injected on the wire: a botocore `before-send` hook waits, then answers as a throttled
table does, so botocore's retries run as they would against AWS.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from postbacks.storage import aws
from postbacks_cli.local_stacks import StackResources
from tests.helpers import Invoke, kept_keys, post, reset_cached_settings, seed

THROTTLED = (
    b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
    b'"message":"The level of configured provisioned throughput for the table was exceeded."}'
)
SLOW_SECONDS = 1.0
# Room for one DynamoDB attempt and the S3 attempt that keeps the body, not for botocore's three attempts.
BUDGET_SECONDS = 2 * aws.ATTEMPT_SECONDS + aws.ANSWER_MARGIN_SECONDS + 1.0


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def slow_throttled_puts(attempts: list[float]) -> None:
    """Every PutItem of the layer's DynamoDB client waits, then is throttled."""

    def answer(request: Any, **_: Any) -> AWSResponse:
        attempts.append(time.monotonic())
        time.sleep(SLOW_SECONDS)
        headers = HTTPHeaders.from_dict({"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "slow"})
        return AWSResponse(request.url, 400, headers, _Body(THROTTLED))

    aws.dynamodb().meta.events.register("before-send.dynamodb.PutItem", answer)


def test_a_slow_table_gets_fewer_attempts_and_the_body_is_kept_before_the_answer(
    ingest: Invoke, stack: StackResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANSWER_BUDGET_SECONDS", str(BUDGET_SECONDS))
    reset_cached_settings()  # new clients too: the next test's fixture resets them again, hook and all
    attempts: list[float] = []
    slow_throttled_puts(attempts)
    body = seed("000_sms_mt_n201.xml")

    status, answer = post(ingest, body)

    assert (status, answer["error"]) == (503, "storage_unavailable")
    # botocore alone would have made 3 attempts; the deadline stopped it sooner.
    assert len(attempts) < 3
    [key] = kept_keys(stack, "unstored/")
    assert boto3.client("s3").get_object(Bucket=stack.bucket_name, Key=key)["Body"].read() == body
