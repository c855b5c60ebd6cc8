"""`postbacks dlq` (a masked peek that consumes nothing) and `redrive` (back to the work queue) on moto's SQS."""

from __future__ import annotations

import json

import boto3
import pytest

from postbacks.domain.jobs import FetchJob, StoreJob, dump_job
from postbacks.domain.models import Postback
from postbacks.storage.store import PostbackStore
from postbacks_cli import cli
from postbacks_cli.local_stacks import StackResources
from postbacks_local.lambda_events import sqs_event
from tests.helpers import Invoke

FETCH = dump_job(
    FetchJob(message_key="MMS_MO_dlq1", event_id="e" * 32, index=0, url="https://media.example.com/16501112222/a.jpg")
)
STORE = dump_job(
    StoreJob(
        postback=Postback.model_validate(
            {"dialect": "skycore_xml", "code": "N211", "from": "15551234567", "to": "86717", "keyword": "STOP"}
        ),
        received_at="2026-11-22T10:00:00.000Z",
    )
)
POISON = "not json at all, from 16501112222"


def bury(stack: StackResources, *bodies: str) -> None:
    sqs = boto3.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=stack.dead_letter_queue_url, MessageBody=body)


def bodies_in(url: str) -> list[str]:
    sqs = boto3.client("sqs")
    bodies: list[str] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get("Messages"):
        bodies += [message["Body"] for message in batch]
    return bodies


def run(stack: StackResources, *arguments: str) -> int:
    # A stack the local stack made has no outputs: it is found by its resources, DLQ included.
    return cli.main(["--stack", stack.stack_name, *arguments])


def test_dlq_shows_each_job_with_why_and_no_phone_number_in_clear(
    stack: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    bury(stack, FETCH, POISON, STORE)

    assert run(stack, "dlq") == 0

    out = capsys.readouterr().out
    assert out.startswith("3 messages in the dead-letter queue")
    assert "fetch MMS_MO_dlq1 #0" in out
    assert "media.example.com kept failing" in out
    assert "unreadable" in out
    assert "the worker cannot read it" in out
    assert "store ~pb:" in out
    assert "***2222" in out
    assert "***4567" in out
    assert "16501112222" not in out
    assert "15551234567" not in out


def test_dlq_is_a_peek_every_message_stays_visible(stack: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    bury(stack, FETCH, POISON)

    assert run(stack, "dlq", "--json") == 0

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["job"] for line in lines] == ["fetch", "unreadable"]
    assert lines[0]["message_key"] == "MMS_MO_dlq1 #0"
    assert lines[0]["receive_count"] >= 1
    assert sorted(bodies_in(stack.dead_letter_queue_url)) == sorted([FETCH, POISON])


def test_dlq_limit_shows_the_oldest(stack: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    bury(stack, FETCH, POISON, STORE)

    assert run(stack, "dlq", "--limit", "2") == 0

    assert ", the oldest 2 shown" in capsys.readouterr().out
    assert len(bodies_in(stack.dead_letter_queue_url)) == 3


def test_an_empty_dlq_says_so(stack: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(stack, "dlq") == 0

    assert "is empty" in capsys.readouterr().out


def test_redrive_moves_every_message_back_in_batches(stack: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    bodies = [f'{{"job": "fetch", "message_key": "m{n}", "index": 0, "url": "https://x/{n}"}}' for n in range(13)]
    bury(stack, *bodies)

    assert run(stack, "redrive") == 0

    assert "moved 13 of 13 messages back to the work queue" in capsys.readouterr().out
    assert bodies_in(stack.dead_letter_queue_url) == []
    assert sorted(bodies_in(stack.queue_url)) == sorted(bodies)


def test_redrive_limit_moves_only_that_many(stack: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    bury(stack, FETCH, POISON, STORE)

    assert run(stack, "redrive", "--limit", "2") == 0

    assert len(bodies_in(stack.queue_url)) == 2
    assert len(bodies_in(stack.dead_letter_queue_url)) == 1


def test_a_redriven_store_job_is_stored_by_the_worker(
    worker: Invoke, stack: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    bury(stack, STORE)
    assert run(stack, "redrive") == 0

    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=stack.queue_url, AttributeNames=["All"])["Messages"]
    arn = sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert worker(sqs_event(messages, arn, stack.region)) == {"batchItemFailures": []}

    assert len(list(PostbackStore(stack.table_name).by_subscriber("15551234567"))) == 1


def test_redrive_of_an_empty_dlq_moves_nothing(stack: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(stack, "redrive") == 0

    assert "nothing to redrive" in capsys.readouterr().out
