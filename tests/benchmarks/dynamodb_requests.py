"""AWS requests per postback, counted on the wire by the moto server, for each kind of postback.

The handlers run in this process against the server (as in the tests); the queue is drained into the
worker the way Lambda's SQS poller would. Only requests made while a handler runs are counted.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3

from postbacks.storage import aws
from postbacks_cli.local_stacks import StackResources
from postbacks_local.lambda_events import LambdaContext, sqs_event
from postbacks_local.runtime import LOCAL_OVERRIDES
from postbacks_local.sample_events import api_event
from postbacks_local.stack_resources import function_environments
from tests.benchmarks import item_size as sizing
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
    rows.append(("first request of an environment (DLR N101)", first, 1, 1))
    status, counted = scenario.post(dlr)
    expect_200(status, "DLR")
    rows.append(("DLR (N102), new", counted, 1, 1))
    units = write_units(resources, DLR_KEY)
    status, counted = scenario.post(dlr)
    expect_200(status, "duplicate")
    rows.append(("DLR (N102), duplicate", counted, 1, 1))

    with MediaServer() as media:
        mo = (SEEDS / "004_mms_mo_n401.xml").read_text()
        for index in range(MEDIA_FILES):
            mo = mo.replace("URL of Content Here", media.url(f"/small.gif?file={index}"), 1)
        status, counted = scenario.post(mo.encode())
        expect_200(status, "MMS MO")
        counted += scenario.drain()
    rows.append((f"MMS MO with {MEDIA_FILES} files (ingest + worker)", counted, 1, 1 + MEDIA_FILES))

    status, counted = scenario.post(bundle(BUNDLE_ITEMS))
    expect_200(status, "bundle")
    counted += scenario.drain()
    rows.append((f"bundle item (bundle of {BUNDLE_ITEMS}, ingest + worker)", counted, BUNDLE_ITEMS, 1))

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
            "DynamoDB write units per DLR (N102), from the stored item's size",
            f"{units.total} WRU (item {units.item_bytes} B, index entries {list(units.index_entries)} B)",
            "= 1",
            units.total == 1,
        )
    )
    lines += [
        "",
        f"Write units of the new DLR: its one item ({units.item_bytes} bytes, raw bytes compressed inside) in the "
        f"table and an entry in {len(units.index_entries)} index(es) ({', '.join(map(str, units.index_entries))} "
        f"bytes with DynamoDB's 100 B per entry): {units.total} WRU (1 WRU per started KB per copy). A duplicate's "
        "refused conditional write costs 1 WRU.",
    ]
    return Section("Requests per postback", figures, "\n".join(lines))


DLR_KEY = "TU1TXzU5Nzg3OQ=="  # the tracking id of 001_mms_mt_n102_binary.xml


@dataclass(frozen=True)
class WriteUnits:
    item_bytes: int
    index_entries: tuple[int, ...]  # bytes of each index entry the item makes, overhead included

    @property
    def total(self) -> int:
        return sizing.write_units(self.item_bytes) + sum(sizing.write_units(size) for size in self.index_entries)


def write_units_of(item: dict[str, Any], indexes: list[dict[str, Any]]) -> WriteUnits:
    """DynamoDB's size rule applied to one stored item and the entry it makes in each index it enters."""
    entries = []
    for index in indexes:
        projected = index["Projection"].get("NonKeyAttributes", [])
        entry = sizing.index_entry(item, [key["AttributeName"] for key in index["KeySchema"]], projected)
        if entry is not None:
            entries.append(sizing.item_size(entry) + sizing.INDEX_ENTRY_OVERHEAD)
    return WriteUnits(sizing.item_size(item), tuple(entries))


def table_indexes(resources: StackResources) -> list[dict[str, Any]]:
    table = boto3.client("dynamodb").describe_table(TableName=resources.table_name)["Table"]
    return list(table.get("GlobalSecondaryIndexes", []))


def write_units(resources: StackResources, message_key: str) -> WriteUnits:
    """The newest postback item of one message, sized with the table's own index definitions."""
    items = boto3.client("dynamodb").query(
        TableName=resources.table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
        ExpressionAttributeValues={":pk": {"S": message_key}, ":s": {"S": "S#"}},
        ConsistentRead=True,
    )["Items"]
    newest = max(items, key=lambda item: item["received_at"]["S"])
    return write_units_of(newest, table_indexes(resources))
