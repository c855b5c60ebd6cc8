"""AWS requests per postback, counted on the wire by the moto server, for each kind of postback.

The handlers run in this process against the server (as in the tests); the queue is drained into the
worker the way Lambda's SQS poller would. Only requests made while a handler runs are counted.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3

from postbacks.storage import aws
from postbacks.storage.store import INDEX_FOR
from postbacks_cli.local_stacks import StackResources
from postbacks_local.lambda_events import LambdaContext, sqs_event
from postbacks_local.runtime import LOCAL_OVERRIDES
from postbacks_local.sample_events import api_event
from postbacks_local.stack_resources import function_environments
from tests.benchmarks.fakes import SECRET
from tests.benchmarks.measure import SEEDS, Figure, Section, bundle, progress
from tests.benchmarks.wire import CountingMotoServer, Operation
from tests.helpers import load_function, reset_cached_settings
from tests.moto.media_server import MediaServer

BUNDLE_ITEMS = 10
MEDIA_FILES = 3


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """The handlers' JSON logs and metrics go to fd 1 (Powertools holds its own stream): silence the fd."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


class Scenario:
    """Posts bodies to the ingest handler and drains the queue into the worker, counting each side's requests."""

    def __init__(self, server: CountingMotoServer, resources: StackResources) -> None:
        # Both functions' variables from the template, with the local stack's overrides (loopback media, no X-Ray).
        for environment in function_environments(resources).values():
            os.environ.update(environment | LOCAL_OVERRIDES)
        reset_cached_settings()
        self.server = server
        self.resources = resources
        self.ingest = load_function("ingest")
        self.worker = load_function("worker")
        self.sqs = aws.sqs()
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=resources.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def post(self, body: bytes, content_type: str = "text/xml") -> tuple[int, Counter[Operation]]:
        event = api_event(body, secret=SECRET, content_type=content_type)
        with self.server.counting() as counted, _quiet_stdout():
            answer = self.ingest(event, LambdaContext("postbacks-ingest"))
        return int(answer["statusCode"]), counted

    def drain(self) -> Counter[Operation]:
        """Every queued job through the worker, ten at a time as the event source mapping sends them."""
        total: Counter[Operation] = Counter()
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.resources.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return total
            event = sqs_event(messages, self.queue_arn, self.resources.region)
            with self.server.counting() as counted, _quiet_stdout():
                answer: dict[str, Any] = self.worker(event, LambdaContext("postbacks-worker"))
            if answer.get("batchItemFailures"):
                raise RuntimeError(f"worker failed: {answer}")
            total += counted
            self.sqs.delete_message_batch(
                QueueUrl=self.resources.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )


def _dynamodb(counted: Counter[Operation]) -> int:
    return sum(count for (service, _), count in counted.items() if service == "dynamodb")


def _describe(counted: Counter[Operation]) -> str:
    return ", ".join(f"{service} {name} {count}" for (service, name), count in sorted(counted.items())) or "none"


def run(server: CountingMotoServer, resources: StackResources) -> Section:
    progress("AWS requests per postback (moto, on the wire)")
    scenario = Scenario(server, resources)
    dlr = (SEEDS / "001_mms_mt_n102_binary.xml").read_bytes()
    sent = (SEEDS / "001_mms_mt_n101_binary.xml").read_bytes()
    rows: list[tuple[str, Counter[Operation], float, int | None]] = []  # name, requests, per, expected DynamoDB

    def expect_200(status: int, what: str) -> None:
        if status != 200:
            raise RuntimeError(f"{what}: HTTP {status}")

    status, first = scenario.post(sent)
    expect_200(status, "first request")
    rows.append(("first request of an environment (DLR N101)", first, 1, 2))
    status, counted = scenario.post(dlr)
    expect_200(status, "DLR")
    rows.append(("DLR (N102), new", counted, 1, 2))
    units = write_units(resources, DLR_KEY)
    status, counted = scenario.post(dlr)
    expect_200(status, "duplicate")
    rows.append(("DLR (N102), duplicate", counted, 1, 2))

    with MediaServer() as media:
        mo = (SEEDS / "004_mms_mo_n401.xml").read_text()
        for index in range(MEDIA_FILES):
            mo = mo.replace("URL of Content Here", media.url(f"/small.gif?file={index}"), 1)
        status, counted = scenario.post(mo.encode())
        expect_200(status, "MMS MO")
        counted += scenario.drain()
    rows.append((f"MMS MO with {MEDIA_FILES} files (ingest + worker)", counted, 1, 2 + MEDIA_FILES))

    status, counted = scenario.post(bundle(BUNDLE_ITEMS))
    expect_200(status, "bundle")
    counted += scenario.drain()
    rows.append((f"bundle item (bundle of {BUNDLE_ITEMS}, ingest + worker)", counted, BUNDLE_ITEMS, 2))

    status, counted = scenario.post((SEEDS / "001_sms_mt_n201_broken_from_mask.xml").read_bytes())
    if status != 400:
        raise RuntimeError(f"refused body: HTTP {status}")
    rows.append(("refused body (malformed XML, kept in S3)", counted, 1, 0))

    figures = []
    lines = [
        "Counted by the moto server while the handlers ran; the worker's share comes from draining the queue.",
        "",
        "| postback | DynamoDB requests per postback | all requests (per postback or bundle) |",
        "| --- | ---: | --- |",
    ]
    for name, counted, per, expected in rows:
        dynamodb = _dynamodb(counted) / per
        lines.append(f"| {name} | {dynamodb:g} | {_describe(counted)} |")
        figures.append(
            Figure(
                f"DynamoDB requests per {name}",
                f"{dynamodb:g}",
                "-" if expected is None else f"= {expected}",
                None if expected is None else dynamodb == expected,
            )
        )
    figures.append(
        Figure(
            "DynamoDB write units per DLR (N102), from the stored items' sizes",
            f"{units.total} WRU (event {units.event_bytes} B x {units.event_copies}, head {units.head_bytes} B)",
        )
    )
    lines += [
        "",
        f"Write units of the new DLR: the event item ({units.event_bytes} bytes) is written to the table and to "
        f"{units.event_copies - 1} index(es) whose key it carries; the head item ({units.head_bytes} bytes) to the "
        f"table only: {units.total} WRU (1 WRU per started KB per copy). A duplicate's two refused conditional "
        "writes cost 1 WRU each.",
    ]
    return Section("Requests per postback", figures, "\n".join(lines))


DLR_KEY = "TU1TXzU5Nzg3OQ=="  # the tracking id of 001_mms_mt_n102_binary.xml


@dataclass(frozen=True)
class WriteUnits:
    event_bytes: int
    event_copies: int
    head_bytes: int

    @property
    def total(self) -> int:
        return math.ceil(self.event_bytes / 1024) * self.event_copies + math.ceil(self.head_bytes / 1024)


def write_units(resources: StackResources, message_key: str) -> WriteUnits:
    """DynamoDB's size rule applied to what the store wrote for one message: its newest event and its head."""
    items = boto3.client("dynamodb").query(
        TableName=resources.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": message_key}},
        ConsistentRead=True,
    )["Items"]
    head = next(item for item in items if item["sk"]["S"] == "MSG")
    event = max((item for item in items if item["sk"]["S"].startswith("E#")), key=lambda item: item["received_at"]["S"])
    indexed = sum(1 for attribute in INDEX_FOR if attribute in event)  # each index is keyed on one attribute
    return WriteUnits(_item_size(event), 1 + indexed, _item_size(head))


def _item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return (len(data.lstrip("-").replace(".", "").lstrip("0")) + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in data)
    if kind == "M":
        return 3 + sum(1 + len(key.encode()) + _value_size(element) for key, element in data.items())
    if kind == "SS":
        return sum(len(element.encode()) for element in data)
    return len(str(data))
