"""Fixtures of the unit tests."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from postbacks.storage.store import PostbackStore
from postbacks_cli.local_stacks import StackResources
from postbacks_local.runtime import LocalFunction
from postbacks_local.stack_resources import local_names
from postbacks_local.stream_mapping import StreamMapping, make_mapping
from postbacks_local.template import load_template
from tests.helpers import ROOT, load_function, save_seed, seed
from tests.moto.media_server import certificate, media, media_server, tls_media, tls_server, trusted  # noqa: F401


@pytest.fixture
def filled(stack: StackResources) -> StackResources:
    """A stack holding an MMS MT's two DLRs and an SMS MO."""
    store = PostbackStore(stack.table_name)
    for name in ("001_mms_mt_n101_binary.xml", "001_mms_mt_n102_binary.xml", "004_sms_mo_n211.xml"):
        save_seed(store, seed(name))
    return stack


class Tap:
    def __init__(self, mapping: StreamMapping, queue_url: str) -> None:
        self.mapping = mapping
        self.queue_url = queue_url
        self.sqs = boto3.client("sqs")

    def published(self) -> list[dict[str, Any]]:
        """Everything the stream holds now, through the events function, as the tap queue received it."""
        while self.mapping.poll_once(wait_seconds=0):
            pass
        events: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return events
            for message in messages:
                events.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def tap(stack: StackResources) -> Tap:
    """The template's events mapping on this stack's table (driven by the test), and the local tap queue."""
    template = load_template(ROOT / "template.yaml")
    made = make_mapping(
        template, local_names(template, stack), LocalFunction("EventsFunction", load_function("events")).invoke
    )
    assert made is not None
    return Tap(*made)
