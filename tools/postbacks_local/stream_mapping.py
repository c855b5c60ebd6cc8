"""Lambda's DynamoDB stream event source mapping, locally: moto's stream -> the template's filter -> a function.

What the mapping does on AWS (template.yaml, EventsStreamMapping) is done here by a thread, from the
mapping's own properties: StartingPosition (LATEST: only what is written after the mapping starts),
BatchSize and MaximumBatchingWindowInSeconds, FilterCriteria (matched by moto's EventBridge pattern
matcher, the syntax Lambda's filters share), ReportBatchItemFailures (retry from the lowest failed
sequence number), BisectBatchOnFunctionError (a batch whose invocation raised is split in two; a split is
not a retry), MaximumRetryAttempts and MaximumRecordAgeInSeconds, then the on-failure destination: an SQS
message describing the records (shard, sequence numbers), as Lambda sends it. The records behind a failed
one go on. The bus and a rule feeding a local tap queue are made for the function to publish to.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from postbacks_cli.local_stacks import moto_client
from postbacks_local.bus_queue import ensure_bus, rule_to_queue
from postbacks_local.lambda_events import ACCOUNT_ID, failed_message_ids, stream_event, stream_record
from postbacks_local.mapping_settings import MappingSettings, mapping_settings, matches
from postbacks_local.runtime import LocalRuntime, Poller
from postbacks_local.template import Names, function_definitions

log = logging.getLogger("postbacks_local.streams")

POLL_SECONDS = 0.2  # a stream has no long poll
READ_LIMIT = 1000  # GetRecords' own maximum

Invoke = Callable[[Any], Any]  # a function given the event, as LocalFunction.invoke
Clock = Callable[[], float]


@dataclass
class Batch:
    records: list[tuple[float, dict[str, Any]]]  # (when read, by the clock; the record as Lambda sends it)
    retries: int = 0
    invocations: int = 0

    def sequence_numbers(self) -> list[str]:
        return [str(record["dynamodb"]["SequenceNumber"]) for _, record in self.records]


@dataclass
class Shard:
    iterator: str | None
    buffer: list[tuple[float, dict[str, Any]]] = field(default_factory=list)


class StreamMapping(Poller):
    """Reads every shard of a table's stream and feeds its records to a function, as Lambda's poller does."""

    name = "stream-mapping"

    def __init__(
        self,
        settings: MappingSettings,
        stream_arn: str,
        invoke: Invoke,
        *,
        region: str,
        destination_url: str | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.stream_arn = stream_arn
        self.invoke = invoke
        self.region = region
        self.destination_url = destination_url
        self.clock = clock
        self.streams = moto_client("dynamodbstreams", region)
        self.sqs = moto_client("sqs", region)
        self.function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{settings.function}"
        # The mapping's starting position is where the stream is now: created here, not at the first poll.
        start = settings.starting_position
        self.shards = {shard_id: Shard(self._iterator(shard_id, start)) for shard_id in self._ids()}

    # --- reading --------------------------------------------------------------------------------------

    def _ids(self) -> list[str]:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description["Shards"]]

    def _iterator(self, shard_id: str, position: str) -> str:
        answer = self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType=position
        )
        return str(answer["ShardIterator"])

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """Read what the stream holds now and invoke for every batch that is due; returns records read.

        `wait_seconds=0` (a test driving the mapping) ends the batching window at once.
        """
        read = self._read()
        self._deliver(flush=wait_seconds == 0)
        if not read and wait_seconds != 0:
            self._stop.wait(POLL_SECONDS)
        return read

    def _read(self) -> int:
        read = 0
        for shard_id in self._ids():
            # A shard that appears later (a split) is read from its start, as Lambda does.
            shard = self.shards.setdefault(shard_id, Shard(self._iterator(shard_id, "TRIM_HORIZON")))
            if shard.iterator is None:
                continue
            answer = self.streams.get_records(ShardIterator=shard.iterator, Limit=READ_LIMIT)
            shard.iterator = answer.get("NextShardIterator")
            now = self.clock()
            for record in answer.get("Records", []):
                read += 1
                plain = stream_record(record, self.stream_arn, self.region)
                if matches(self.settings.patterns, plain):  # filtered out: dropped, never invoked
                    shard.buffer.append((now, plain))
        return read

    # --- invoking -------------------------------------------------------------------------------------

    def _deliver(self, flush: bool) -> None:
        size = max(1, self.settings.batch_size)
        for shard_id, shard in self.shards.items():
            while shard.buffer and (
                flush or len(shard.buffer) >= size or self.clock() - shard.buffer[0][0] >= self.settings.window_seconds
            ):
                taken, shard.buffer[:] = shard.buffer[:size], shard.buffer[size:]
                self._process(shard_id, Batch(taken))

    def _process(self, shard_id: str, batch: Batch) -> None:
        """One batch until it succeeded or was handed to the on-failure destination."""
        work = deque([batch])
        while work:
            current = work.popleft()
            if self._too_old(current):
                self._give_up(shard_id, current, "RecordAgeExceeded", function_error=False)
                continue
            current.invocations += 1
            failed_at, function_error = self._invoke(current)
            if failed_at is None:
                continue
            if function_error and self.settings.bisect and len(current.records) > 1:
                half = (len(current.records) + 1) // 2
                work.extendleft(
                    [Batch(current.records[half:], current.retries), Batch(current.records[:half], current.retries)]
                )
                continue
            # Retried from the lowest failed record (the checkpoint); what succeeded before it is done.
            rest = Batch(current.records[failed_at:], current.retries + 1, current.invocations)
            if 0 <= self.settings.max_retries <= current.retries:
                self._give_up(shard_id, rest, "RetryAttemptsExhausted", function_error=function_error)
            else:
                work.appendleft(rest)

    def _too_old(self, batch: Batch) -> bool:
        limit = self.settings.max_age_seconds
        return limit >= 0 and self.clock() - batch.records[0][0] > limit

    def _invoke(self, batch: Batch) -> tuple[int | None, bool]:
        """(index of the first failed record or None, whether the invocation itself failed)."""
        sequence_numbers = batch.sequence_numbers()
        try:
            result = self.invoke(stream_event([record for _, record in batch.records]))
        except Exception:  # noqa: BLE001 - a raising function fails the whole batch, as on AWS
            traceback.print_exc()
            log.info("%s: %d records, the function raised", self.settings.function, len(batch.records))
            return 0, True
        if not self.settings.report_failures:
            return None, False
        failed = failed_message_ids(result, sequence_numbers)
        if not failed:
            return None, False
        log.info("%s: %d records, %d reported failed", self.settings.function, len(batch.records), len(failed))
        return min(sequence_numbers.index(number) for number in failed), False

    def _give_up(self, shard_id: str, batch: Batch, condition: str, *, function_error: bool) -> None:
        """The on-failure destination's message: which records, not the records (the stream keeps them 24 h)."""
        numbers = batch.sequence_numbers()
        created = [record["dynamodb"].get("ApproximateCreationDateTime") for _, record in batch.records]
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if function_error:
            response["functionError"] = "Unhandled"
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function_arn,
                "condition": condition,
                "approximateInvokeCount": batch.invocations,
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": _iso(time.time(), milliseconds=True),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": numbers[0],
                "endSequenceNumber": numbers[-1],
                "approximateArrivalOfFirstRecord": _iso(created[0]),
                "approximateArrivalOfLastRecord": _iso(created[-1]),
                "batchSize": len(numbers),
                "streamArn": self.stream_arn,
            },
        }
        log.warning("%s: records %s..%s given up (%s)", self.settings.function, numbers[0], numbers[-1], condition)
        if self.destination_url is not None:
            self.sqs.send_message(QueueUrl=self.destination_url, MessageBody=json.dumps(message))


def _iso(seconds: float | None, milliseconds: bool = False) -> str | None:
    if seconds is None:
        return None
    moment = datetime.fromtimestamp(float(seconds), UTC)
    return moment.isoformat(timespec="milliseconds" if milliseconds else "seconds").replace("+00:00", "Z")


# --- the bus, its tap, and the mappings of a local stack ---------------------------------------------------


def create_tap(events: Any, sqs: Any, bus_name: str, source: str, stack_name: str) -> str:
    """A rule on the bus feeding its events to a tap queue (as `postbacks tail` does); the queue's URL."""
    return rule_to_queue(events, sqs, bus_name, f"{stack_name}-events-tap", {"source": [source]})


def make_mapping(
    template: Mapping[str, Any], names: Names, invoke: Invoke, clock: Clock = time.monotonic
) -> tuple[StreamMapping, str] | None:
    """The template's events mapping (not yet started) and the bus's tap queue; None when it publishes nothing."""
    for settings in mapping_settings(template, names):
        definition = next(d for d in function_definitions(template) if d.logical_id == settings.function)
        variables = definition.environment(names)
        if "EVENT_BUS_NAME" not in variables:
            continue
        table = names.lookup(settings.table, f"{settings.function} stream")
        stream_arn = moto_client("dynamodb", names.region).describe_table(TableName=table)["Table"]["LatestStreamArn"]
        destination = names.lookup(settings.destination, "OnFailure") if settings.destination else None
        mapping = StreamMapping(
            settings, stream_arn, invoke, region=names.region, destination_url=destination, clock=clock
        )
        events, sqs = moto_client("events", names.region), moto_client("sqs", names.region)
        ensure_bus(events, variables["EVENT_BUS_NAME"])  # the template's EventBus
        tap = create_tap(events, sqs, variables["EVENT_BUS_NAME"], variables["EVENT_SOURCE"], names.stack_name)
        return mapping, tap
    return None


def stream_mappings(template: Mapping[str, Any], runtime: LocalRuntime, names: Names) -> list[StreamMapping]:
    """The local stack's events mapping, feeding its function (none when the template publishes nothing)."""
    settings = mapping_settings(template, names)
    made = make_mapping(template, names, runtime.function(settings[0].function).invoke) if settings else None
    if made is None:
        return []
    log.info("events: the tap queue is %s", made[1])
    return [made[0]]
