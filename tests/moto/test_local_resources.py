"""The template's storage resources, created in moto: the same table, bucket, queues and secret as deployed."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pytest

from postbacks_cli.local_stacks import StackResources, find_stack_resources
from postbacks_local.stack_resources import create_stack_resources
from postbacks_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
SECRET = "local-secret"


@pytest.fixture(scope="module")
def resources(moto_endpoint: str) -> StackResources:
    return create_stack_resources(TEMPLATE, stack_name=f"ls-{uuid.uuid4().hex[:10]}", secret=SECRET)


def test_template_creates_table_with_its_two_sparse_indexes(resources: StackResources) -> None:
    table = boto3.client("dynamodb").describe_table(TableName=resources.table_name)["Table"]

    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("pk", "HASH"), ("sk", "RANGE")]
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"by_subscriber", "by_failure"}
    for name, index in indexes.items():
        keyed = "subscriber" if name == "by_subscriber" else "failure_bucket"
        assert [k["AttributeName"] for k in index["KeySchema"]] == [keyed, "event_at"]
        assert index["Projection"]["ProjectionType"] == "INCLUDE"


def test_template_creates_bucket(resources: StackResources) -> None:
    buckets = [bucket["Name"] for bucket in boto3.client("s3").list_buckets()["Buckets"]]
    assert resources.bucket_name in buckets


def test_work_queue_redrives_to_the_dead_letter_queue(resources: StackResources) -> None:
    sqs = boto3.client("sqs")
    work = sqs.get_queue_attributes(QueueUrl=resources.queue_url, AttributeNames=["All"])["Attributes"]
    dead = sqs.get_queue_attributes(QueueUrl=resources.dead_letter_queue_url, AttributeNames=["All"])["Attributes"]

    redrive = json.loads(work["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dead["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 5


def test_visibility_timeout_is_the_templates(resources: StackResources) -> None:
    definitions = load_template(TEMPLATE)["Resources"].values()
    [timeout] = [
        body["Properties"]["VisibilityTimeout"]
        for body in definitions
        if body["Type"] == "AWS::SQS::Queue" and "VisibilityTimeout" in body["Properties"]
    ]

    assert resources.queue_visibility_timeout == int(timeout)


def test_url_secret_is_a_secrets_manager_secret_named_after_the_stack(resources: StackResources) -> None:
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=resources.url_secret_arn)

    assert secret["Name"] == f"{resources.stack_name}/url-secret"
    assert secret["SecretString"] == SECRET


def test_worker_batch_size_comes_from_the_sqs_event(resources: StackResources) -> None:
    assert resources.worker_batch_size == 10


def test_find_stack_resources_names_the_templates_own_resources(resources: StackResources) -> None:
    cloudformation = boto3.client("cloudformation")

    def physical(logical_id: str) -> str:
        found = cloudformation.describe_stack_resource(StackName=resources.stack_name, LogicalResourceId=logical_id)
        return str(found["StackResourceDetail"]["PhysicalResourceId"])

    found = find_stack_resources(resources.stack_name)

    assert (found.table_name, found.bucket_name) == (physical("PostbacksTable"), physical("PostbacksBucket"))
    assert (found.queue_url, found.dead_letter_queue_url) == (physical("WorkQueue"), physical("DeadLetterQueue"))
