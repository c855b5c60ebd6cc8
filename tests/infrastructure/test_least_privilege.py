"""Least privilege, proven: every AWS call each function makes on each of its paths, against its own deployed role.

Each path (`PATHS`) really runs the function (the local runtime, against moto); every call its clients make is
recorded, named in IAM's terms (action, resource ARN) and evaluated against the policies of THAT
function's role in the SAM transform of template.yaml, resources resolved to this stack's ARNs. What
Lambda itself does with the role (reading the event source, the on-failure destination, logs, traces)
comes from the same template. A grant written in the template that no path uses fails too, unless a
comment beside it in the template says `unused: <action> ...` and why. See docs/security.md.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import boto3
import pytest
from botocore.stub import Stubber

from postbacks.analytics.athena import AthenaEngine, names_for
from postbacks.service import settings
from postbacks.service.ingest import BUNDLE_CHUNK
from postbacks_cli.local_stacks import StackResources
from postbacks_local.lambda_events import stream_event, stream_record
from postbacks_local.mapping_settings import matches
from postbacks_local.runtime import LOCAL_OVERRIDES, LocalFunction
from postbacks_local.stack_resources import create_stack_resources, function_environments, local_names
from postbacks_local.template import load_template
from tests import helpers
from tests.helpers import Invoke, drain, post, seed
from tests.infrastructure.deployed import TEMPLATE, Resolver, resource_values, transformed
from tests.infrastructure.iam_calls import RECORDER, Request, requests_for
from tests.infrastructure.policies import Role, athena_requests, function_roles, platform_requests
from tests.moto.media_server import MediaServer

MiB = 1024 * 1024


@functools.cache
def deployed_template() -> dict[str, Any]:
    return transformed()


@dataclass
class Run:
    """One path's run: each function's invocations recorded, as IAM requests."""

    stack: StackResources
    roles: dict[str, Role]
    resolver: Resolver
    requests: dict[str, list[Request]] = field(default_factory=dict)

    def invoke(self, function: str, invoke: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """`invoke`, recording the AWS calls it makes as `function`'s."""

        def recorded(event: Any) -> Any:
            RECORDER.attach()  # a reset of the layer's clients makes a new session
            with RECORDER.recording() as calls:
                answer = invoke(event)
            found = self.requests.setdefault(function, [])
            found.extend(r for call in calls for r in requests_for(call, self.stack.region, self.resolver.account))
            return answer

        return recorded

    def denied(self) -> list[str]:
        return [
            f"{function} may not {request.action} on {request.resource}"
            for function, requests in self.requests.items()
            for request in sorted(set(requests))
            if not self.roles[function].allows(request)
        ]


def resolver_for(stack: StackResources) -> Resolver:
    """The transformed template's values as deployed over this local stack's table, bucket, queues and secret."""
    template = deployed_template()
    physical = dict(local_names(load_template(TEMPLATE), stack).resources) | named_by_template(template, stack)
    refs, attributes = resource_values(template, physical, region=stack.region, stack_name=stack.stack_name)
    table = boto3.client("dynamodb").describe_table(TableName=stack.table_name)["Table"]
    attributes[("PostbacksTable", "StreamArn")] = table["LatestStreamArn"]
    return Resolver(template, refs, attributes, region=stack.region, stack_name=stack.stack_name)


def named_by_template(template: dict[str, Any], stack: StackResources) -> dict[str, str]:
    """Resources the local stack does not create, named as the template names them in this stack (Athena, Glue)."""
    names = Resolver(template, {}, {}, region=stack.region, stack_name=stack.stack_name)
    found = {}
    for name, body in template["Resources"].items():
        properties = body.get("Properties") or {}
        given = (properties.get("DatabaseInput") or properties).get("Name")
        if body["Type"] in ("AWS::Athena::WorkGroup", "AWS::Glue::Database") and given is not None:
            found[name] = str(names.resolve(given))
    return found


@pytest.fixture
def run(stack: StackResources) -> Run:
    resolver = resolver_for(stack)
    return Run(stack, function_roles(deployed_template(), resolver), resolver)


# --- the paths: each really runs, and checks it went the way its name says ------------------------------------------


def _ingest(run: Run, ingest: Invoke, body: bytes, expected: int, secret: str = helpers.SECRET) -> dict[str, Any]:
    status, answer = post(run.invoke("IngestFunction", ingest), body, secret=secret)
    assert status == expected, answer
    return answer


def _mms_mo(url: str) -> bytes:
    return (
        "<POSTBACK><NOTIFICATION><ORIGIN>MMS_MO</ORIGIN><CODE>N401</CODE><FROM>13217949521</FROM><TO>74700</TO>"
        "<KEYWORD>all</KEYWORD><TRACKINGID>MMS_MO_iam</TRACKINGID><SPID>0001470</SPID>"
        f"<TIMESTAMP>2014-02-03T11:19:49-05:00</TIMESTAMP><CONTENT><FILE>{escape(url)}</FILE></CONTENT></NOTIFICATION>"
        "</POSTBACK>"
    ).encode()


def _bundle(count: int, extra: str = "") -> bytes:
    items = "".join(
        f'<NOTIFICATION id="{n}" created="2011-09-28 17:31:02.835577-04"><ORIGIN>SMS_MO</ORIGIN><CODE>N211</CODE>'
        f"<BODY><FROM>1555{n:07d}</FROM><TO>86717</TO><KEYWORD>STOP</KEYWORD>"
        f"<RECEIVED>2011-09-28 17:31:02.278751-04</RECEIVED>{extra if n == 0 else ''}</BODY></NOTIFICATION>"
        for n in range(count)
    )
    return f"<POSTBACK>{items}</POSTBACK>".encode()


def _work(run: Run, worker: Invoke, expect_failures: int = 0) -> None:
    # Rounds: a job, the fetch jobs an MO's media job fans out into, their fetches; one more would be a loop.
    failed = drain(run.stack, run.invoke("WorkerFunction", worker), rounds=4, until_empty=expect_failures == 0)
    assert len(failed) == expect_failures


def _kept(run: Run, prefix: str) -> None:
    assert helpers.kept_keys(run.stack, prefix), f"nothing kept under {prefix}"


def ingest_stored(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    _ingest(run, ingest, seed("000_sms_mt_n201.xml"), 200)


def ingest_receipt(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    _ingest(run, ingest, seed("001_sms_mt_n202.xml"), 200)
    assert any(r.action == "dynamodb:Query" for r in run.requests["IngestFunction"])


def ingest_wrong_secret(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    _ingest(run, ingest, seed("001_sms_mt_n202.xml"), 403, secret="not-the-secret")


def ingest_queued(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    assert _ingest(run, ingest, _bundle(3), 200)["queued"] == 3
    assert _ingest(run, ingest, seed("004_mms_mo_n401.xml"), 200)["tracking_ids"]


def ingest_refused(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    _ingest(run, ingest, seed("001_sms_mt_n201_broken_from_mask.xml"), 400)
    _kept(run, "quarantine/")


def ingest_storage_down(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    boto3.client("dynamodb").delete_table(TableName=run.stack.table_name)
    _ingest(run, ingest, seed("001_sms_mt_n202.xml"), 503)
    _kept(run, "unstored/")


def worker_bundle_item_stored(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    _ingest(run, ingest, _bundle(2), 200)
    _work(run, worker)
    assert len(helpers.stored_events(run.stack)) == 2


def worker_bundle_through_s3(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    # More items than one job carries (BUNDLE_CHUNK): kept once under bundles/, two jobs point at it. (By size
    # alone it cannot happen: MAX_BODY_BYTES, 512 KB, even as JSON, is under a queue message's 1 MiB.)
    _ingest(run, ingest, _bundle(BUNDLE_CHUNK + 1), 200)
    _kept(run, "bundles/")
    _work(run, worker)
    assert len(helpers.stored_events(run.stack)) == BUNDLE_CHUNK + 1


def worker_bundled_receipt(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    # A delivery receipt reads whether its message is already in the number index (one Query) before storing.
    receipts = "".join(
        f'<NOTIFICATION id="{n}"><ORIGIN>SMS_MT</ORIGIN><CODE>N202</CODE><FROM>60856</FROM><TO>1650333305{n}</TO>'
        f"<TRACKINGID>receipt{n}</TRACKINGID><SPID>0001470</SPID><TIMESTAMP>2013-11-05T05:41:15-05:00</TIMESTAMP>"
        "</NOTIFICATION>"
        for n in range(2)
    )
    _ingest(run, ingest, f"<POSTBACK>{receipts}</POSTBACK>".encode(), 200)
    _work(run, worker)
    assert len(helpers.stored_events(run.stack)) == 2
    assert any(r.action == "dynamodb:Query" for r in run.requests["WorkerFunction"])


def worker_bundled_mms_mo_queues_its_media(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    mms = _mms_mo(media.url("/small.gif")).removeprefix(b"<POSTBACK>").removesuffix(b"</POSTBACK>")
    _ingest(run, ingest, _bundle(1).replace(b"</POSTBACK>", mms + b"</POSTBACK>"), 200)
    _work(run, worker)
    _kept(run, "media/")


def worker_refused_item_quarantined(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    # Within every limit of the parser, over DynamoDB's 400 KB once stored.
    huge = "".join(f"<X{n}>{'a' * 4096}</X{n}>" for n in range(99))
    _ingest(run, ingest, _bundle(2, extra=huge), 200)
    _work(run, worker)
    _kept(run, "quarantine/")


def worker_media_archived(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    _ingest(run, ingest, _mms_mo(media.url("/small.gif")), 200)
    _work(run, worker)
    _kept(run, "media/")


def worker_media_multipart(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    _ingest(run, ingest, _mms_mo(media.url(f"/generated?size={9 * MiB}")), 200)
    _work(run, worker)
    _kept(run, "media/")


def worker_media_too_large_midway(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    # No Content-Length (chunked): only counting tells, after a part is uploaded; the upload is aborted.
    _ingest(run, ingest, _mms_mo(media.url(f"/generated?size={12 * MiB}&framing=chunked")), 200)
    with _environment(MEDIA_MAX_BYTES=str(9 * MiB)):
        _work(run, worker)
    assert not boto3.client("s3").list_multipart_uploads(Bucket=run.stack.bucket_name).get("Uploads")


@contextmanager
def _environment(**variables: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    settings.clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)
        settings.clear()


def worker_media_failed(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    _ingest(run, ingest, _mms_mo(media.url("/status?code=503")), 200)
    _work(run, worker, expect_failures=1)


def worker_media_missing(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    _ingest(run, ingest, _mms_mo(media.url("/gone.jpg")), 200)
    _work(run, worker)


def events_stream_batch(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    # An MMS report and a STOP: the function builds both events, applies the STOP to the ledger, publishes.
    queue = _listen(run.stack)
    _ingest(run, ingest, seed("001_mms_mt_n101_binary.xml"), 200)
    _ingest(run, ingest, _stop(), 200)
    published = run.invoke("EventsFunction", function_invoke("events"))
    assert published(stream_event(stream_records(run.stack))) == {"batchItemFailures": []}
    kinds = sorted(json.loads(m["Body"])["detail-type"] for m in _received(queue))
    assert kinds == ["Consent Changed", "Postback Received", "Postback Received"], kinds


def _stop() -> bytes:
    return seed("004_sms_mo_n211.xml").replace(b"<TEXT>MYKEYCODE</TEXT>", b"<TEXT>STOP</TEXT>")


def _listen(stack: StackResources) -> str:
    """The stack's bus, made as the template makes it, and a queue its rule hands every event of the stack."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    bus = os.environ["EVENT_BUS_NAME"]
    if bus != "default":
        events.create_event_bus(Name=bus)
    queue = sqs.create_queue(QueueName=f"{stack.stack_name}-published")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = json.dumps({"source": [os.environ["EVENT_SOURCE"]]})
    events.put_rule(Name=f"{stack.stack_name}-published", EventBusName=bus, EventPattern=pattern)
    events.put_targets(Rule=f"{stack.stack_name}-published", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return queue


def _received(queue: str) -> list[Any]:
    sqs = boto3.client("sqs")
    messages: list[Any] = []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        messages += batch
        for message in batch:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return messages


def stream_records(stack: StackResources) -> list[dict[str, Any]]:
    """The table's stream from its start as the mapping hands it on: what its filter passes, as Lambda sends it."""
    streams = boto3.client("dynamodbstreams")
    arn = boto3.client("dynamodb").describe_table(TableName=stack.table_name)["Table"]["LatestStreamArn"]
    patterns = [json.loads(f["Pattern"]) for f in _mapping()["FilterCriteria"]["Filters"]]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        found = streams.get_records(ShardIterator=iterator)["Records"]
        records += [
            stream_record(r, arn, stack.region) for r in found if matches(patterns, stream_record(r, arn, stack.region))
        ]
    assert records, "the mapping's filter passed no record"
    return records


def _mapping() -> dict[str, Any]:
    properties: dict[str, Any] = deployed_template()["Resources"]["EventsStreamMapping"]["Properties"]
    return properties


def analytics_daily_run(run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> None:
    # moto's Athena answers 404 over HTTP and runs no SQL: Athena's answers are given to the real client
    # (botocore's Stubber); what Athena itself does with the role is added from the template (athena_requests).
    queue = _listen(run.stack)
    handler = helpers.load_function("analytics")
    RECORDER.attach()
    client = boto3.client("athena")
    with Stubber(client) as athena:
        _answer_one_unresolved(athena)
        workgroup, database = names_for(os.environ["STACK_NAME"])
        inspect.unwrap(handler).__globals__["engine"] = lambda: AthenaEngine(workgroup, database, client, 0)
        detail = run.invoke("AnalyticsFunction", LocalFunction("AnalyticsFunction", handler).invoke)({})
        athena.assert_no_pending_responses()
    assert detail["count"] == 1
    [message] = _received(queue)
    assert json.loads(message["Body"])["detail-type"] == "Messages Unresolved"


def _answer_one_unresolved(athena: Stubber) -> None:
    columns = ["message_key", "sent_at", "carrier", "number", "status"]
    row = ["K1", "2026-11-27T09:00:00.000Z", "AT&T", "16501112222", "sent"]
    athena.add_response("start_query_execution", {"QueryExecutionId": "q1"})
    execution = {"QueryExecutionId": "q1", "Status": {"State": "SUCCEEDED"}, "Statistics": {"DataScannedInBytes": 1}}
    athena.add_response("get_query_execution", {"QueryExecution": execution})
    rows = [{"Data": [{"VarCharValue": value} for value in values]} for values in (columns, row)]
    metadata = {"ColumnInfo": [{"Name": name, "Type": "varchar"} for name in columns]}
    athena.add_response("get_query_results", {"ResultSet": {"Rows": rows, "ResultSetMetadata": metadata}})


PATHS: dict[str, Callable[[Run, Invoke, Invoke, MediaServer], None]] = {
    "ingest: stored": ingest_stored,
    "ingest: receipt": ingest_receipt,
    "ingest: wrong secret": ingest_wrong_secret,
    "ingest: queued": ingest_queued,
    "ingest: refused": ingest_refused,
    "ingest: storage down": ingest_storage_down,
    "worker: bundle item stored": worker_bundle_item_stored,
    "worker: bundle through S3": worker_bundle_through_s3,
    "worker: bundled receipt": worker_bundled_receipt,
    "worker: bundled MMS MO queues its media": worker_bundled_mms_mo_queues_its_media,
    "worker: refused item quarantined": worker_refused_item_quarantined,
    "worker: media archived": worker_media_archived,
    "worker: media multipart": worker_media_multipart,
    "worker: media too large midway": worker_media_too_large_midway,
    "worker: media failed": worker_media_failed,
    "worker: media missing": worker_media_missing,
    "events: stream batch": events_stream_batch,
    "analytics: daily run": analytics_daily_run,
}


def run_path(name: str, run: Run, ingest: Invoke, worker: Invoke, media: MediaServer) -> Run:
    PATHS[name](run, ingest, worker, media)
    for function, requests in run.requests.items():
        started = [r for r in requests if r.action == "athena:StartQueryExecution"]
        requests += athena_requests(deployed_template(), run.resolver, started)
        requests += platform_requests(deployed_template(), function, run.resolver)
    return run


def test_a_call_outside_the_role_is_named_with_its_function_action_and_resource(run: Run, ingest: Invoke) -> None:
    # Given the ingest role without the grant that keeps refused bodies
    role = run.roles["IngestFunction"]
    run.roles["IngestFunction"] = Role(
        role.function,
        role.name,
        {name: _without_sid(document, "KeepRejectedAndUnstoredBodies") for name, document in role.inline.items()},
        role.managed,
    )
    ingest_refused(run, ingest, ingest, MediaServer())
    (message,) = run.denied()
    bucket = run.stack.bucket_name
    assert re.fullmatch(rf"IngestFunction may not s3:PutObject on arn:aws:s3:::{bucket}/quarantine/.+", message)


def _without_sid(document: dict[str, Any], sid: str) -> dict[str, Any]:
    return {**document, "Statement": [s for s in document["Statement"] if s.get("Sid") != sid]}


# --- grants no path uses --------------------------------------------------------------------------------------------


def justified(function: str, action: str, text: str | None = None) -> bool:
    """A comment in the function's block of template.yaml says why an unused grant stays: `# unused: <action> ...`."""
    text = TEMPLATE.read_text(encoding="utf-8") if text is None else text
    block = re.search(rf"^  {function}:\n(.*?)(?=^  \S|\Z)", text, re.MULTILINE | re.DOTALL)
    return block is not None and re.search(rf"#\s*unused:\s*{re.escape(action)}(\s|$)", block.group(1)) is not None


def test_an_unused_grant_is_excused_only_by_a_comment_in_its_own_functions_block() -> None:
    text = (
        "  WorkerFunction:\n    Policies:\n      # unused: s3:ListBucket kept so a missing key is 404\n"
        "  IngestFunction:\n    Policies: []\n"
    )
    assert justified("WorkerFunction", "s3:ListBucket", text)
    assert not justified("IngestFunction", "s3:ListBucket", text)
    assert not justified("WorkerFunction", "s3:List", text)


@pytest.fixture(scope="module")
def every_path(moto_endpoint: str) -> dict[str, Run]:
    """Every path run once, each on a stack of its own, its functions freshly loaded."""
    runs: dict[str, Run] = {}
    with MediaServer() as media, pytest.MonkeyPatch.context() as monkeypatch:
        for path in PATHS:
            fresh = fresh_stack(monkeypatch)
            resolver = resolver_for(fresh)
            run = Run(fresh, function_roles(deployed_template(), resolver), resolver)
            runs[path] = run_path(path, run, function_invoke("ingest"), function_invoke("worker"), media)
    helpers.reset_cached_settings()
    return runs


def test_every_call_on_every_path_is_allowed_by_its_functions_own_role_and_every_grant_is_used(
    every_path: dict[str, Run],
) -> None:
    # One test for both: running every path is the expensive part, and both read the same runs.
    silent = [path for path, run in every_path.items() if not run.requests]
    assert not silent, f"paths that made no call to check: {silent}"
    denied = [f"on the path '{path}': {message}" for path, run in every_path.items() for message in run.denied()]
    assert not denied, "calls the function's own role refuses:\n" + "\n".join(denied)

    granted: dict[tuple[str, tuple[str, str, str, int]], str] = {}
    used: set[tuple[str, tuple[str, str, str, int]]] = set()
    for run in every_path.values():
        for function, role in run.roles.items():
            for grant in role.grants():
                granted[(function, grant.key)] = f"{function} {grant.policy}/{grant.sid or '-'}: {grant.action}"
                if any(role.grant_covers(grant, request) for request in run.requests.get(function, [])):
                    used.add((function, grant.key))
    unused = sorted(
        f"{text} on resource #{key[3]}"
        for (function, key), text in granted.items()
        if (function, key) not in used and not justified(function, key[2])
    )
    assert not unused, "grants no path uses (remove them, or say why beside them):\n" + "\n".join(unused)


def fresh_stack(monkeypatch: pytest.MonkeyPatch) -> StackResources:
    """A new stack, its variables set as the `stack` fixture sets them (the budget too)."""
    resources = create_stack_resources(TEMPLATE, f"t-{uuid.uuid4().hex[:10]}", "s3cr3t-current,s3cr3t-previous")
    for environment in function_environments(resources).values():
        for key, value in (environment | LOCAL_OVERRIDES).items():
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("ANSWER_BUDGET_SECONDS", "25")
    helpers.reset_cached_settings()
    return resources


def function_invoke(name: str) -> Invoke:
    """A function freshly loaded (its per-container caches empty), invoked as the local stack invokes it."""
    return LocalFunction(name, helpers.load_function(name), memory_mb=256).invoke
