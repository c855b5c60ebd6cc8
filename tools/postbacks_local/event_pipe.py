"""The events pipe, locally: moto's DynamoDB stream -> the template's filter and transformers -> the events
function -> a real moto EventBridge bus, with a rule feeding a local tap queue.

What EventBridge Pipes does in AWS (template.yaml, EventsPipe) is done here by a thread: the filter
patterns, both InputTemplates, the source and the DetailType path are read from the template, and the
patterns are matched by moto's own EventBridge pattern matcher.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postbacks_cli.local_stacks import moto_client
from postbacks_local.runtime import LocalRuntime, Poller
from postbacks_local.template import Names

log = logging.getLogger("postbacks_local.events")

PIPE_TYPE = "AWS::Pipes::Pipe"
POLL_SECONDS = 0.2
_PLACEHOLDER = re.compile(r"<(\$[^>]*)>")
_STEP = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]")

Invoke = Callable[[Any], Any]  # a function given the batch, a list of events


@dataclass(frozen=True)
class PipeSettings:
    """What the template's pipe says, with the stack's name filled in."""

    patterns: tuple[dict[str, Any], ...]
    enrichment_function: str | None  # the logical id of the enrichment function
    enrichment_template: str | None
    target_template: str | None
    source: str
    detail_type: str  # a `$.` path into the enrichment's output, or a fixed string
    batch_size: int
    bus_name: str


def _pipes(template: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [body for body in template["Resources"].values() if body.get("Type") == PIPE_TYPE]


def pipe_settings(template: Mapping[str, Any], names: Names) -> PipeSettings | None:
    """The template's first pipe; None when it has none or PublishEvents turns it off."""
    if str(names.parameters.get("PublishEvents", "true")).lower() != "true" or not _pipes(template):
        return None
    properties = _pipes(template)[0].get("Properties") or {}
    source = properties.get("SourceParameters") or {}
    filters = (source.get("FilterCriteria") or {}).get("Filters") or []
    target = properties.get("TargetParameters") or {}
    bus = target.get("EventBridgeEventBusParameters") or {}
    enrichment = properties.get("Enrichment") or {}
    return PipeSettings(
        patterns=tuple(json.loads(entry["Pattern"]) for entry in filters),
        enrichment_function=str(enrichment["Fn::GetAtt"][0]) if "Fn::GetAtt" in enrichment else None,
        enrichment_template=(properties.get("EnrichmentParameters") or {}).get("InputTemplate"),
        target_template=target.get("InputTemplate"),
        source=str(names.resolve(bus.get("Source", ""), "EventsPipe Source")),
        detail_type=str(bus.get("DetailType", "")),
        batch_size=int((source.get("DynamoDBStreamParameters") or {}).get("BatchSize", 10)),
        bus_name="default" if names.parameters.get("EventBusTarget") == "default" else names.stack_name,
    )


# --- what a pipe does to one event -------------------------------------------------------------------


def matches(patterns: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """A pipe passes an event matching any of its filters (all of them when it has none)."""
    from moto.events.models import EventPattern

    event: Any = dict(record)
    return not patterns or any(EventPattern(None, dict(p)).matches_event(event) for p in patterns)


def json_path(payload: Any, path: str) -> Any:
    """`$.a.b[0]`: the subset of JSONPath that Pipes' templates and dynamic parameters accept."""
    value = payload
    for name, index in _STEP.findall(path[1:]):
        if value is None:
            return None
        value = value[int(index)] if index else value.get(name) if isinstance(value, dict) else None
    return value


def render(template: str | None, payload: Any) -> Any:
    """An InputTemplate applied to one event; no template passes the event as it is."""
    if template is None:
        return payload
    whole = _PLACEHOLDER.fullmatch(template.strip())
    if whole:
        return json_path(payload, whole.group(1))
    # Inside a JSON string a placeholder is text; elsewhere it is the JSON of the value.
    filled = re.sub(r'"<(\$[^>]*)>"', lambda m: json.dumps(json_path(payload, m.group(1))), template)
    filled = _PLACEHOLDER.sub(lambda m: json.dumps(json_path(payload, m.group(1))), filled)
    return json.loads(filled)


def detail_type_of(settings: PipeSettings, output: Any) -> str:
    if settings.detail_type.startswith("$."):
        return str(json_path(output, settings.detail_type))
    return settings.detail_type


def stream_record_json(record: Mapping[str, Any]) -> dict[str, Any]:
    """A boto3 stream record as the JSON Pipes hands on: binary as base64, times as epoch seconds."""

    def plain(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return base64.b64encode(value).decode()
        if isinstance(value, datetime):
            return int(value.timestamp())
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    return plain(dict(record))  # type: ignore[no-any-return]


# --- the pipe ----------------------------------------------------------------------------------------


class EventPipe(Poller):
    """Reads every shard of the table's stream from its start and publishes what passes the pipe."""

    name = "events-pipe"

    def __init__(self, settings: PipeSettings, streams: Any, events: Any, stream_arn: str, invoke: Invoke) -> None:
        super().__init__()
        self.settings = settings
        self.streams = streams
        self.events = events
        self.stream_arn = stream_arn
        self.invoke = invoke
        self._iterators: dict[str, str | None] = {}

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """Publish what the stream holds now; returns how many stream records were read."""
        read = self._read_shards()
        if not read and wait_seconds != 0:
            self._stop.wait(POLL_SECONDS)  # a stream has no long poll
        return read

    def _read_shards(self) -> int:
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        read = 0
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            iterator = self._iterators[shard_id]
            if iterator is None:
                continue
            answer = self.streams.get_records(ShardIterator=iterator, Limit=self.settings.batch_size)
            records = [stream_record_json(record) for record in answer.get("Records", [])]
            if records:
                # On AWS a failed batch is retried, then goes to the DLQ; here it is reported and left.
                self._publish(records)
            self._iterators[shard_id] = answer.get("NextShardIterator")
            read += len(records)
        return read

    def _publish(self, records: list[dict[str, Any]]) -> None:
        passed = [render(self.settings.enrichment_template, r) for r in records if matches(self.settings.patterns, r)]
        if not passed:
            return
        try:
            outputs = self.invoke(passed)
        except Exception:  # noqa: BLE001 - a raising enrichment fails the batch, as on AWS
            traceback.print_exc()
            log.info("events pipe: %d records, the enrichment raised; not published", len(passed))
            return
        entries = [
            {
                "Source": self.settings.source,
                "DetailType": detail_type_of(self.settings, output),
                "Detail": json.dumps(render(self.settings.target_template, output)),
                "EventBusName": self.settings.bus_name,
            }
            for output in outputs or []
        ]
        for start in range(0, len(entries), 10):  # PutEvents takes at most 10 entries
            self.events.put_events(Entries=entries[start : start + 10])
        log.info("events pipe: %d records, %d events published", len(records), len(entries))


# --- the bus and its tap -----------------------------------------------------------------------------


def create_bus_and_tap(settings: PipeSettings, events: Any, sqs: Any, stack_name: str) -> str:
    """The bus the template would create, and a rule feeding its events to a tap queue; the queue's URL."""
    if settings.bus_name != "default":
        events.create_event_bus(Name=settings.bus_name)
    queue_url: str = sqs.create_queue(QueueName=f"{stack_name}-events-tap")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"{stack_name}-events-tap"
    events.put_rule(Name=rule, EventBusName=settings.bus_name, EventPattern=json.dumps({"source": [settings.source]}))
    events.put_targets(Rule=rule, EventBusName=settings.bus_name, Targets=[{"Id": "tap", "Arn": queue_arn}])
    return queue_url


def make_pipe(template: Mapping[str, Any], names: Names, invoke: Invoke) -> tuple[EventPipe, str] | None:
    """Bus, tap and a pipe (not yet started) for a local stack's table; None when the template publishes nothing."""
    settings = pipe_settings(template, names)
    if settings is None:
        return None
    events, sqs = moto_client("events", names.region), moto_client("sqs", names.region)
    table = names.lookup(_table_of(template), "EventsPipe Source")
    stream_arn = moto_client("dynamodb", names.region).describe_table(TableName=table)["Table"]["LatestStreamArn"]
    tap_url = create_bus_and_tap(settings, events, sqs, names.stack_name)
    return EventPipe(settings, moto_client("dynamodbstreams", names.region), events, stream_arn, invoke), tap_url


def _table_of(template: Mapping[str, Any]) -> str:
    source = (_pipes(template)[0].get("Properties") or {}).get("Source") or {}
    return str(source["Fn::GetAtt"][0])  # !GetAtt PostbacksTable.StreamArn


def event_pipes(template: Mapping[str, Any], runtime: LocalRuntime, names: Names) -> list[EventPipe]:
    """The local stack's event source for the template's pipe, feeding its enrichment function."""
    settings = pipe_settings(template, names)
    if settings is None or settings.enrichment_function is None:
        return []
    made = make_pipe(template, names, runtime.function(settings.enrichment_function).invoke)
    if made is None:
        return []
    log.info("events: published to bus %s; the tap queue is %s", settings.bus_name, made[1])
    return [made[0]]
