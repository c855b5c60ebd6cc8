"""Cost per million postbacks at us-east-1 on-demand prices, from figures measured in this run.

Measured here: the requests each postback makes on the wire (moto counts them), the DynamoDB write
units of what the store wrote (DynamoDB's size rule on the items), the log bytes (the handlers' own
output, captured) and the handlers' own CPU time (the calling thread's, so neither moto's work nor
this machine's other load is counted). Billed duration is that CPU time plus, for each AWS request,
REQUEST_WAIT_MS of waiting (DynamoDB, SQS and S3 answer in single-digit milliseconds in-region), and
for each media file MEDIA_WAIT_MS of download, rounded up to Lambda's billing millisecond.
The README's table is this section's table.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from postbacks.service import events
from postbacks_cli.local_stacks import StackResources
from postbacks_local.lambda_events import LambdaContext, sqs_event, stream_event, stream_record
from postbacks_local.sample_events import api_event
from tests.benchmarks import log_bytes
from tests.benchmarks.dynamodb_requests import Scenario, write_units
from tests.benchmarks.fakes import SECRET
from tests.benchmarks.lambda_like import memory_mb, template
from tests.benchmarks.measure import SEEDS, Figure, Section, median, progress
from tests.benchmarks.wire import CountingMotoServer, Operation
from tests.helpers import load_function
from tests.moto.media_server import MediaServer

# us-east-1, on demand, 2026-12.
HTTP_API_PER_M = 1.00
LAMBDA_REQUEST_PER_M = 0.20
LAMBDA_ARM_GB_S = 0.0000133334
DYNAMODB_WRU_PER_M = 0.625
LOGS_PER_GB = 0.50
SQS_PER_M = 0.40
S3_PUT_PER_1000 = 0.005
S3_GET_PER_1000 = 0.0004
CUSTOM_EVENTS_PER_M = 1.00  # per 64 KB chunk of an entry
ARCHIVE_PER_GB = 0.10  # events processed into the archive
DYNAMODB_RRU_PER_M = 0.125
PIPES_PER_M = 0.40  # what the replaced EventBridge Pipe charged per event after filtering
EVENT_BATCHES = (10, 1)  # the mapping's BatchSize under load; one record at a trickle
BUDGET_DLR = 2.50
# Assumed, not measured here: in-region AWS answers and a small file from a carrier's content host.
REQUEST_WAIT_MS = 10.0
MEDIA_WAIT_MS = 100.0
ROUNDS = 7
MO_FILES = 2
MO_KEY = "MMS_MO_iLnCRrL6"  # the tracking id of 004_mms_mo_n401.xml


@dataclass(frozen=True)
class Usage:
    """What one postback uses, all functions together."""

    api_requests: int
    invocations: dict[str, float]  # function -> invocations per postback
    billed_ms: dict[str, float]  # function -> billed ms per postback
    wru: float
    log_bytes: float
    sqs_requests: int
    s3_puts: int
    s3_gets: int

    def rows(self) -> list[tuple[str, str, float]]:
        lambda_gb_s = sum(self.billed_ms[name] / 1000 * memory_mb(name) / 1024 for name in self.billed_ms)
        invocations = sum(self.invocations.values())
        return [
            ("HTTP API", f"{self.api_requests} request x $1.00 / M", self.api_requests * HTTP_API_PER_M),
            ("Lambda requests", f"{invocations:g} invocation(s) x $0.20 / M", invocations * LAMBDA_REQUEST_PER_M),
            (
                "Lambda duration (arm64)",
                " + ".join(f"{name} {ms:g} ms x {memory_mb(name)} MB" for name, ms in self.billed_ms.items())
                + f" = {lambda_gb_s:.5f} GB-s x $0.0000133334",
                lambda_gb_s * LAMBDA_ARM_GB_S * 1e6,
            ),
            ("DynamoDB writes", f"{self.wru:g} WRU x $0.625 / M", self.wru * DYNAMODB_WRU_PER_M),
            (
                "CloudWatch Logs",
                f"{self.log_bytes:,.0f} B x $0.50 / GB",
                self.log_bytes / 1e9 * LOGS_PER_GB * 1e6,
            ),
            ("SQS", f"{self.sqs_requests} request(s) x $0.40 / M", self.sqs_requests * SQS_PER_M),
            (
                "S3",
                f"{self.s3_puts} PUT x $0.005 / 1,000 + {self.s3_gets} GET/HEAD x $0.0004 / 1,000",
                self.s3_puts * S3_PUT_PER_1000 * 1000 + self.s3_gets * S3_GET_PER_1000 * 1000,
            ),
        ]

    def total(self) -> float:
        return sum(cost for _, _, cost in self.rows())


def _count(counted: Counter[Operation], service: str, *names: str) -> int:
    return sum(n for (s, op), n in counted.items() if s == service and (not names or op.startswith(names)))


def _billed_ms(cpu_seconds: float, requests: int, media_files: int = 0) -> float:
    waited = requests * REQUEST_WAIT_MS + media_files * MEDIA_WAIT_MS
    return float(math.ceil(cpu_seconds * 1000 + waited))  # Lambda bills by the started millisecond


def _aws_requests(counted: Counter[Operation]) -> int:
    return sum(counted.values())


def measure_dlr(server: CountingMotoServer, resources: StackResources) -> tuple[Usage, log_bytes.LogBytes]:
    scenario = Scenario(server, resources)
    body = (SEEDS / "001_mms_mt_n102_binary.xml").read_bytes()
    scenario.post((SEEDS / "001_mms_mt_n101_binary.xml").read_bytes())  # the environment's first request
    durations: list[float] = []
    output = b""
    counted: Counter[Operation] = Counter()  # the last round's, the requests of one warm DLR
    for round_number in range(ROUNDS):
        # A new message each round: the full write path, as a campaign's DLRs are.
        fresh = body.replace(b"TU1TXzU5Nzg3OQ==", f"COST{round_number:04d}".encode())
        event = api_event(fresh, secret=SECRET)

        def call(event: dict[str, object] = event) -> None:
            started = time.thread_time()
            answer = scenario.ingest(event, LambdaContext("postbacks-ingest"))
            durations.append(time.thread_time() - started)
            if answer["statusCode"] != 200:
                raise RuntimeError(f"DLR: {answer}")

        with server.counting() as last:
            output = log_bytes.captured_stdout(call)
        counted = last
    logs = log_bytes.measure(output)
    units = write_units(resources, "COST0006")
    usage = Usage(
        api_requests=1,
        invocations={"ingest": 1},
        billed_ms={"ingest": _billed_ms(median(durations), _aws_requests(counted))},
        wru=units.total,
        log_bytes=logs.total,
        sqs_requests=_count(counted, "sqs"),
        s3_puts=_count(counted, "s3", "Put"),
        s3_gets=_count(counted, "s3", "Get", "Head"),
    )
    return usage, logs


def measure_mo(server: CountingMotoServer, resources: StackResources) -> Usage:
    scenario = Scenario(server, resources)
    with MediaServer() as media:
        # Twice, each a new message: the second is a warm environment's, as most are.
        for key in ("MMS_MO_warmup", MO_KEY):
            text = (SEEDS / "004_mms_mo_n401.xml").read_text().replace("MMS_MO_iLnCRrL6", key)
            for index in range(MO_FILES):
                text = text.replace("URL of Content Here", media.url(f"/small.gif?file={key}-{index}"), 1)
            event = api_event(_keep_content(text, MO_FILES).encode(), secret=SECRET)
            answers: list[dict[str, object]] = []
            started = time.thread_time()
            with server.counting() as ingest_counted:
                ingest_output = log_bytes.captured_stdout(
                    lambda event=event, answers=answers: answers.append(
                        scenario.ingest(event, LambdaContext("postbacks-ingest"))
                    )
                )
            ingest_s = time.thread_time() - started
            if answers[0]["statusCode"] != 200:
                raise RuntimeError(f"MMS MO: {answers[0]} {ingest_output.decode()[-2000:]}")
            worker_counted, worker_output, worker_s = _drain(scenario, server)
    counted = ingest_counted + worker_counted
    logs = log_bytes.measure(ingest_output).total + log_bytes.measure(worker_output).function_bytes
    # The message's items by DynamoDB's size rule, and one WRU per file record the worker wrote (under 1 KB).
    units = write_units(resources, MO_KEY).total + _count(worker_counted, "dynamodb")
    return Usage(
        api_requests=1,
        invocations={"ingest": 1, "worker": 1},
        billed_ms={
            "ingest": _billed_ms(ingest_s, _aws_requests(ingest_counted)),
            "worker": _billed_ms(worker_s, _aws_requests(worker_counted), MO_FILES),
        },
        wru=float(units),
        log_bytes=float(logs),
        # The event source mapping's receive and delete are SQS requests too: one each per batch.
        sqs_requests=_count(counted, "sqs") + 2,
        s3_puts=_count(counted, "s3", "Put", "Create", "Upload", "Complete"),
        s3_gets=_count(counted, "s3", "Get", "Head"),
    )


def _drain(scenario: Scenario, server: CountingMotoServer) -> tuple[Counter[Operation], bytes, float]:
    """The queued fetch jobs through the worker in one batch, as the event source mapping sends them."""
    queue_url = scenario.resources.queue_url
    messages = scenario.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
    event = sqs_event(messages.get("Messages", []), scenario.queue_arn, scenario.resources.region)
    answers: list[dict[str, object]] = []
    started = time.thread_time()
    with server.counting() as counted:
        output = log_bytes.captured_stdout(
            lambda: answers.append(scenario.worker(event, LambdaContext("postbacks-worker")))
        )
    elapsed = time.thread_time() - started
    if answers[0].get("batchItemFailures") or len(event["Records"]) != MO_FILES:
        raise RuntimeError(f"worker: {answers[0]} for {len(event['Records'])} job(s)")
    return counted, output, elapsed


def _keep_content(text: str, files: int) -> str:
    """The example with only its first `files` files (the others still carry the placeholder URL)."""
    return text.replace("<FILE>URL of Content Here</FILE>\n", "")


@dataclass(frozen=True)
class EventsUsage:
    """What the events path adds per postback, for one batch size of the stream mapping."""

    batch: int
    billed_ms: float  # per invocation
    queries: float  # status reads per postback
    put_calls: float  # PutEvents calls per postback
    chunks: float  # 64 KB chunks per event
    event_bytes: float  # per event, as PutEvents counts it
    log_bytes: float  # per invocation

    def rows(self) -> list[tuple[str, str, float]]:
        gb_s = self.billed_ms / 1000 * events_memory_mb() / 1024
        return [
            ("EventBridge Pipes", f"none (was 1 event x ${PIPES_PER_M:.2f} / M)", 0.0),
            ("stream reads", "GetRecords by a Lambda trigger: free", 0.0),
            ("Lambda requests", f"1 / {self.batch} invocation x $0.20 / M", LAMBDA_REQUEST_PER_M / self.batch),
            (
                "Lambda duration (arm64)",
                f"{self.billed_ms:g} ms x {events_memory_mb()} MB / {self.batch}",
                gb_s * LAMBDA_ARM_GB_S * 1e6 / self.batch,
            ),
            ("status read", f"{self.queries:g} Query (1 RRU) x $0.125 / M", self.queries * DYNAMODB_RRU_PER_M),
            (
                "custom events",
                f"{self.chunks:g} chunk of 64 KB ({self.put_calls:g} PutEvents call) x $1.00 / M",
                self.chunks * CUSTOM_EVENTS_PER_M,
            ),
            ("archive", f"{self.event_bytes:,.0f} B x $0.10 / GB", self.event_bytes / 1e9 * ARCHIVE_PER_GB * 1e6),
            (
                "logs",
                f"{self.log_bytes:,.0f} B / {self.batch} x $0.50 / GB",
                self.log_bytes / self.batch / 1e9 * LOGS_PER_GB * 1e6,
            ),
        ]

    def total(self) -> float:
        return sum(cost for _, _, cost in self.rows())


def events_memory_mb() -> int:
    return int(template()["Resources"]["EventsFunction"]["Properties"]["MemorySize"])


def measure_events(server: CountingMotoServer, resources: StackResources) -> list[EventsUsage]:
    """New DLRs' stream records through the real events function, in batches of 10 and of 1."""
    import boto3

    scenario = Scenario(server, resources)  # the functions' variables, the bus name among them
    bus = os.environ["EVENT_BUS_NAME"]
    if bus != "default":
        boto3.client("events").create_event_bus(Name=bus)
    handler = load_function("events")
    streams = boto3.client("dynamodbstreams")
    stream_arn = boto3.client("dynamodb").describe_table(TableName=resources.table_name)["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST")
    body = (SEEDS / "001_mms_mt_n102_binary.xml").read_bytes()
    for number in range(max(EVENT_BATCHES)):  # a new message each: one status read per postback
        scenario.post(body.replace(b"TU1TXzU5Nzg3OQ==", f"EVENTS{number:04d}".encode()))
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    plain = [stream_record(record, stream_arn, resources.region) for record in records]
    entries = [
        events.fitted(event, "postbacks." + resources.stack_name).entry("postbacks." + resources.stack_name, bus)
        for event in events.events_for((events.plain_image(r["dynamodb"]["NewImage"]) for r in plain), lambda _: None)
    ]
    sizes = [events.entry_size(entry) for entry in entries]
    usages = []
    for batch in EVENT_BATCHES:
        event = stream_event(plain[:batch])
        rounds = [_one_round(server, handler, event) for _ in range(ROUNDS)]
        durations = [elapsed for elapsed, _, _ in rounds]
        _, counted, output = rounds[-1]  # a warm invocation's requests and log lines
        logged = log_bytes.measure(output)
        usages.append(
            EventsUsage(
                batch=batch,
                billed_ms=_billed_ms(median(durations), _aws_requests(counted)),
                queries=_count(counted, "dynamodb", "Query") / batch,
                put_calls=_count(counted, "awsevents", "PutEvents") / batch,
                chunks=sum(math.ceil(size / events.MAX_ENTRY_BYTES) for size in sizes) / len(sizes),
                event_bytes=sum(sizes) / len(sizes),
                log_bytes=float(logged.function_bytes + log_bytes.EVENT_OVERHEAD_BYTES * logged.function_events),
            )
        )
    return usages


def _one_round(
    server: CountingMotoServer, handler: Any, event: dict[str, Any]
) -> tuple[float, Counter[Operation], bytes]:
    elapsed: list[float] = []
    with server.counting() as counted:
        output = log_bytes.captured_stdout(lambda: elapsed.append(_timed(handler, event)))
    return elapsed[0], counted, output


def _timed(handler: Any, event: dict[str, Any]) -> float:
    started = time.thread_time()
    answer = handler(event, LambdaContext("postbacks-events"))
    elapsed = time.thread_time() - started
    if answer.get("batchItemFailures"):
        raise RuntimeError(f"events: {answer}")
    return elapsed


def events_section(usages: list[EventsUsage]) -> Section:
    lines = [
        "With `PublishEvents` on, per million postbacks, in addition to the table above (us-east-1 prices; new",
        "DLRs' stream records through the real events function on moto, one new message each).",
        "",
        "| item | " + " | ".join(f"batches of {u.batch}: measured use | per M" for u in usages) + " |",
        "| --- | " + " | ".join("--- | ---:" for _ in usages) + " |",
    ]
    for row in zip(*(u.rows() for u in usages), strict=True):
        lines.append(f"| {row[0][0]} | " + " | ".join(f"{use} | ${cost:.3f}" for _, use, cost in row) + " |")
    lines.append("| **total** | " + " | ".join(f"| **${u.total():.2f}**" for u in usages) + " |")
    figures = [Figure(f"events cost per million postbacks, batches of {u.batch}", f"${u.total():.2f}") for u in usages]
    return Section("Cost of events per million postbacks", figures, "\n".join(lines))


def run(server: CountingMotoServer, resources: StackResources) -> tuple[Section, ...]:
    progress("cost per million postbacks (DLR, MMS MO with two files)")
    dlr, logs = measure_dlr(server, resources)
    mo = measure_mo(server, resources)
    lines = [
        "us-east-1 on-demand prices; each row is one postback's measured use x 1 M.",
        "",
        "| item | DLR: measured use | DLR per M | MMS MO, 2 files: measured use | MO per M |",
        "| --- | --- | ---: | --- | ---: |",
    ]
    for (name, dlr_use, dlr_cost), (_, mo_use, mo_cost) in zip(dlr.rows(), mo.rows(), strict=True):
        lines.append(f"| {name} | {dlr_use} | ${dlr_cost:.3f} | {mo_use} | ${mo_cost:.3f} |")
    lines.append(f"| **total** | | **${dlr.total():.2f}** | | **${mo.total():.2f}** |")
    figures = [
        Figure("cost per million DLRs", f"${dlr.total():.2f}", f"<= ${BUDGET_DLR:.2f}", dlr.total() <= BUDGET_DLR),
        Figure(f"cost per million MMS MO with {MO_FILES} files", f"${mo.total():.2f}"),
    ]
    progress("cost of events per million postbacks (stream batches of 10 and of 1)")
    usage = events_section(measure_events(server, resources))
    return log_bytes.section(logs), Section("Cost per million postbacks", figures, "\n".join(lines)), usage
