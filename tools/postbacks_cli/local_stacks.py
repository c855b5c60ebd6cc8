"""Find the resources of a stack the local emulator created in a moto server (no template needed)."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from typing import Any

DEFAULT_REGION = "us-east-1"
LOCAL_STACK_NAME = "postbacks-local"
# SAM's default for an SQS event source, used when the template leaves BatchSize out.
DEFAULT_BATCH_SIZE = 10
# Stack tags let a later process find the values that are not resources (see find_stack_resources).
TAG_URL_SECRET = "postbacks:url-secret-arn"  # noqa: S105 - a tag key
TAG_BATCH_SIZE = "postbacks:worker-batch-size"


@dataclass(frozen=True)
class StackResources:
    stack_name: str
    region: str
    table_name: str
    bucket_name: str
    queue_url: str
    dead_letter_queue_url: str
    url_secret_arn: str
    worker_batch_size: int
    queue_visibility_timeout: int


class StackError(RuntimeError):
    """The template could not be turned into local resources."""


# --- talking to moto ------------------------------------------------------------------------------


def resolve_region(region: str | None = None) -> str:
    """The region asked for, else the environment's, else the default."""
    return region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or DEFAULT_REGION


def moto_client(service: str, region: str) -> Any:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        # Never let a local run or a test create resources in a real account by accident.
        raise StackError("AWS_ENDPOINT_URL is not set; it must point at a local moto server")
    return _cached_client(service, region, endpoint)


@functools.cache
def _cached_client(service: str, region: str, endpoint: str) -> Any:
    # Creating a client costs ~100 ms; clients are thread-safe and one per endpoint is enough.
    import boto3

    return boto3.session.Session().client(service, region_name=region, endpoint_url=endpoint)  # type: ignore[call-overload]


def find_stack_resources(stack_name: str = LOCAL_STACK_NAME, region: str | None = None) -> StackResources:
    """The resources of a stack made by create_stack_resources on the moto server at AWS_ENDPOINT_URL."""
    region = resolve_region(region)
    cloudformation = moto_client("cloudformation", region)
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    tags = {tag["Key"]: tag["Value"] for tag in stack.get("Tags", [])}
    by_type: dict[str, list[str]] = {}
    for resource in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]:
        by_type.setdefault(resource.get("ResourceType", ""), []).append(resource["PhysicalResourceId"])

    tables = by_type.get("AWS::DynamoDB::Table", [])
    buckets = by_type.get("AWS::S3::Bucket", [])
    queues = by_type.get("AWS::SQS::Queue", [])
    if len(tables) != 1 or len(buckets) != 1:
        raise StackError(f"{stack_name}: expected one table and one bucket, got {tables} {buckets}")

    sqs = moto_client("sqs", region)
    attributes = {url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"] for url in queues}
    # The work queue is the one that redrives; the queue it redrives to is the dead-letter queue.
    work = [url for url, attrs in attributes.items() if "RedrivePolicy" in attrs]
    if len(work) != 1:
        raise StackError(f"{stack_name}: expected one queue with a RedrivePolicy, got {work}")
    target_arn = json.loads(attributes[work[0]]["RedrivePolicy"])["deadLetterTargetArn"]
    dead = [url for url, attrs in attributes.items() if attrs.get("QueueArn") == target_arn]
    if len(dead) != 1:
        raise StackError(f"{stack_name}: the dead-letter queue {target_arn} is not in the stack")

    return StackResources(
        stack_name=stack_name,
        region=region,
        table_name=tables[0],
        bucket_name=buckets[0],
        queue_url=work[0],
        dead_letter_queue_url=dead[0],
        url_secret_arn=tags.get(TAG_URL_SECRET, f"{stack_name}/url-secret"),
        worker_batch_size=int(tags.get(TAG_BATCH_SIZE, DEFAULT_BATCH_SIZE)),
        queue_visibility_timeout=int(attributes[work[0]].get("VisibilityTimeout", 30)),
    )
