"""`postbacks tail`: a temporary rule and queue on the stack's bus, the events printed, both removed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

import boto3
import pytest

from postbacks_cli import cli
from postbacks_cli.local_stacks import StackResources
from tests import helpers
from tests.helpers import Invoke, seed
from tests.moto.conftest import Tap

Start = Callable[..., threading.Thread]
MO = seed("004_sms_mo_n211.xml")
MT = seed("001_mms_mt_n101_binary.xml")


def tail_rules(stack: StackResources) -> list[str]:
    rules = boto3.client("events").list_rules(EventBusName=stack.stack_name, NamePrefix="postbacks-tail-")["Rules"]
    return [rule["Name"] for rule in rules]


def printed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    # The functions log JSON to stdout as well, in this same process.
    return capsys.readouterr().out.splitlines()


def tail_queues() -> list[str]:
    return boto3.client("sqs").list_queues(QueueNamePrefix="postbacks-tail-").get("QueueUrls", [])


@pytest.fixture
def tailing(stack: StackResources) -> Iterator[Start]:
    threads: list[threading.Thread] = []

    def start(*options: str) -> threading.Thread:
        before = set(tail_rules(stack))
        argv = ["--stack", stack.stack_name, "tail", *options]
        thread = threading.Thread(target=cli.main, args=(argv,), daemon=True)
        thread.start()
        threads.append(thread)
        deadline = time.monotonic() + 20
        while set(tail_rules(stack)) == before:  # listening once its rule exists
            assert time.monotonic() < deadline, "tail made no rule"
            time.sleep(0.05)
        return thread

    yield start
    for thread in threads:
        thread.join(timeout=30)


def test_tail_json_prints_the_published_event_and_cleans_up(
    tap: Tap,
    ingest: Invoke,
    stack: StackResources,
    tailing: Start,
    capsys: pytest.CaptureFixture[str],
) -> None:
    thread = tailing("--json", "--limit", "1")
    assert helpers.post(ingest, MT)[0] == 200
    tap.published()
    thread.join(timeout=30)
    assert not thread.is_alive()
    [event] = [json.loads(text) for text in printed(capsys) if '"detail-type"' in text]
    assert event["detail-type"] == "Postback Received"
    assert event["detail"]["postback"]["code"] == "N101"
    assert tail_rules(stack) == []
    assert tail_queues() == []


def test_tail_filters_by_code_and_masks_numbers(
    tap: Tap,
    ingest: Invoke,
    stack: StackResources,
    tailing: Start,
    capsys: pytest.CaptureFixture[str],
) -> None:
    thread = tailing("--code", "n211", "--limit", "1")
    assert helpers.post(ingest, MT)[0] == 200
    assert helpers.post(ingest, MO)[0] == 200
    tap.published()
    thread.join(timeout=30)
    [line] = [text for text in printed(capsys) if not text.startswith("{")]
    assert "Postback Received" in line
    assert "N211" in line
    assert "N101" not in line
    assert "16311112222" not in line
    assert "from ***2222" in line
