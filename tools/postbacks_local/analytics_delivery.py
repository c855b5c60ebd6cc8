"""Firehose, locally: the template's analytics rule on the local bus -> a queue -> files in the local S3.

What the rule and delivery stream do in AWS (template.yaml, AnalyticsRule and AnalyticsDeliveryStream) is
done here by a poller: the rule's pattern, the stream's bucket, prefix, compression and file extension
are read from the template; each batch becomes one object under `<Prefix>YYYY/MM/DD/HH/` (UTC), named
as Firehose names them, one event per line (its AppendDelimiterToRecord), gzip as its CompressionFormat.
"""

from __future__ import annotations

import gzip
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from postbacks_cli.local_stacks import moto_client
from postbacks_local.bus_queue import ensure_bus, rule_to_queue
from postbacks_local.runtime import LocalRuntime, Poller
from postbacks_local.template import Names

log = logging.getLogger("postbacks_local.analytics")

STREAM_TYPE = "AWS::KinesisFirehose::DeliveryStream"
RULE_TYPE = "AWS::Events::Rule"
MAX_BATCH = 10  # one receive_message returns at most 10


@dataclass(frozen=True)
class DeliverySettings:
    stream_name: str
    bucket: str
    prefix: str
    gzip: bool
    extension: str
    pattern: dict[str, Any]
    bus_name: str


def _resolved(value: Any, names: Names) -> Any:
    if isinstance(value, dict) and set(value) <= {"Ref", "Fn::Sub"} and value:
        return names.resolve(value, "AnalyticsRule EventPattern")
    if isinstance(value, dict):
        return {key: _resolved(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, names) for item in value]
    return value


def delivery_settings(template: Mapping[str, Any], names: Names) -> DeliverySettings | None:
    """The template's delivery stream and the rule feeding it; None when Analytics or PublishEvents is off."""
    parameters = names.parameters
    if any(str(parameters.get(name, "true")).lower() != "true" for name in ("PublishEvents", "Analytics")):
        return None
    resources = template["Resources"]
    streams = [(name, body) for name, body in resources.items() if body.get("Type") == STREAM_TYPE]
    if not streams:
        return None
    stream_id, stream = streams[0]
    properties = stream.get("Properties") or {}
    destination = properties["ExtendedS3DestinationConfiguration"]
    bucket_id = destination["BucketARN"]["Fn::GetAtt"][0]  # !GetAtt PostbacksBucket.Arn
    rule = next(
        body
        for body in resources.values()
        if body.get("Type") == RULE_TYPE
        and any(
            (target.get("Arn") or {}).get("Fn::GetAtt", [None])[0] == stream_id
            for target in body["Properties"]["Targets"]
        )
    )
    compression = str(destination.get("CompressionFormat", "UNCOMPRESSED"))
    return DeliverySettings(
        stream_name=str(names.resolve(properties["DeliveryStreamName"], f"{stream_id}.DeliveryStreamName")),
        bucket=str(names.lookup(bucket_id, f"{stream_id}.BucketARN")),
        prefix=str(destination.get("Prefix", "")),
        gzip=compression == "GZIP",
        extension=str(destination.get("FileExtension", ".gz" if compression == "GZIP" else "")),
        pattern=_resolved(rule["Properties"]["EventPattern"], names),
        bus_name="default" if parameters.get("EventBusTarget") == "default" else names.stack_name,
    )


def object_key(settings: DeliverySettings, at: datetime) -> str:
    """Where Firehose puts one delivery: `<Prefix>YYYY/MM/DD/HH/<stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid><ext>`."""
    stamp = at.strftime("%Y-%m-%d-%H-%M-%S")
    return f"{settings.prefix}{at:%Y/%m/%d/%H}/{settings.stream_name}-1-{stamp}-{uuid.uuid4()}{settings.extension}"


def file_body(settings: DeliverySettings, events: list[str]) -> bytes:
    lines = "".join(event + "\n" for event in events).encode()
    return gzip.compress(lines) if settings.gzip else lines


class AnalyticsDelivery(Poller):
    """Receives what the rule matched, writes it as one Firehose object, then deletes it from the queue."""

    name = "analytics-delivery"

    def __init__(self, settings: DeliverySettings, sqs: Any, s3: Any, queue_url: str) -> None:
        super().__init__()
        self.settings = settings
        self.sqs = sqs
        self.s3 = s3
        self.queue_url = queue_url

    def poll_once(self, wait_seconds: int | None = None) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=MAX_BATCH,
            WaitTimeSeconds=self.wait_seconds if wait_seconds is None else wait_seconds,
        ).get("Messages", [])
        if not messages:
            return 0
        # The rule's target gets the event as JSON; one line each, compact as Firehose receives it.
        events = [json.dumps(json.loads(message["Body"]), separators=(",", ":")) for message in messages]
        key = object_key(self.settings, datetime.now(UTC))
        self.s3.put_object(Bucket=self.settings.bucket, Key=key, Body=file_body(self.settings, events))
        self.sqs.delete_message_batch(
            QueueUrl=self.queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
        log.info("analytics: %d events to s3://%s/%s", len(events), self.settings.bucket, key)
        return len(messages)

    def flush(self) -> int:
        """Deliver everything queued now (tests and the CLI's local runs call this)."""
        delivered = 0
        while count := self.poll_once(wait_seconds=0):
            delivered += count
        return delivered


def make_delivery(template: Mapping[str, Any], names: Names) -> AnalyticsDelivery | None:
    """The rule on the local bus, its queue, and the poller (not yet started); None when analytics is off."""
    settings = delivery_settings(template, names)
    if settings is None:
        return None
    events, sqs = moto_client("events", names.region), moto_client("sqs", names.region)
    ensure_bus(events, settings.bus_name)
    name = f"{names.stack_name}-analytics-delivery"
    queue_url = rule_to_queue(events, sqs, settings.bus_name, name, settings.pattern)
    return AnalyticsDelivery(settings, sqs, moto_client("s3", names.region), queue_url)


def analytics_deliveries(template: Mapping[str, Any], runtime: LocalRuntime, names: Names) -> list[AnalyticsDelivery]:
    made = make_delivery(template, names)
    if made is None:
        return []
    log.info("analytics: events to s3://%s/%s", made.settings.bucket, made.settings.prefix)
    return [made]
