"""The local stack: template resources in moto, the functions as the template defines them, the API, the poller."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from postbacks_cli.local_stacks import StackResources, find_stack_resources
from postbacks_local.api import MAX_REQUEST_BYTES, ApiEmulator
from postbacks_local.lambda_events import LambdaContext, Route, failed_message_ids
from postbacks_local.local_stack import build_runtime
from postbacks_local.runtime import LocalFunction, LocalRuntime
from postbacks_local.sqs_poller import SqsPoller
from postbacks_local.stack_resources import create_stack_resources, storage_template
from postbacks_local.template import api_routes, load_template
from tests.helpers import SEEDS, free_port, reset_cached_settings, start_local_stack

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
SECRET = "local-secret"


def new_stack(secret: str = SECRET) -> StackResources:
    return create_stack_resources(TEMPLATE, stack_name=f"ls-{uuid.uuid4().hex[:10]}", secret=secret)


class RecordingHandler:
    """A stand-in function: remembers every event and answers with a fixed result (or raises it)."""

    def __init__(self, result: Any = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[LambdaContext] = []
        self.result = result if result is not None else {"statusCode": 200, "body": '{"status":"accepted"}'}

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


@pytest.fixture(scope="module")
def resources(moto_endpoint: str) -> StackResources:
    return new_stack()


@pytest.fixture
def ingest() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def api(ingest: RecordingHandler) -> Iterator[ApiEmulator]:
    emulator = ApiEmulator(LocalFunction("IngestFunction", ingest), port=0)
    emulator.start()
    yield emulator
    emulator.stop()


# --- resources from the template ------------------------------------------------------------------


def test_template_creates_table_with_its_four_indexes(resources: StackResources) -> None:
    table = boto3.client("dynamodb").describe_table(TableName=resources.table_name)["Table"]

    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("pk", "HASH"), ("sk", "RANGE")]
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"by_to", "by_from", "by_mms_id", "by_code"}
    for name, index in indexes.items():
        assert [k["AttributeName"] for k in index["KeySchema"]] == [name.removeprefix("by_"), "event_at"]
        assert index["Projection"]["ProjectionType"] == "ALL"


def test_template_creates_bucket(resources: StackResources) -> None:
    buckets = [bucket["Name"] for bucket in boto3.client("s3").list_buckets()["Buckets"]]
    assert resources.bucket_name in buckets


def test_work_queue_redrives_to_the_dead_letter_queue(resources: StackResources) -> None:
    sqs = boto3.client("sqs")
    work = sqs.get_queue_attributes(QueueUrl=resources.queue_url, AttributeNames=["All"])["Attributes"]
    dead = sqs.get_queue_attributes(QueueUrl=resources.dead_letter_queue_url, AttributeNames=["All"])["Attributes"]

    redrive = json.loads(work["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dead["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 5


def test_visibility_timeout_is_the_templates(resources: StackResources) -> None:
    definitions = load_template(TEMPLATE)["Resources"].values()
    [timeout] = [
        body["Properties"]["VisibilityTimeout"]
        for body in definitions
        if body["Type"] == "AWS::SQS::Queue" and "VisibilityTimeout" in body["Properties"]
    ]

    assert resources.queue_visibility_timeout == int(timeout)


def test_secret_is_a_secure_string_under_the_stack_name(resources: StackResources) -> None:
    parameter = boto3.client("ssm").get_parameter(Name=resources.secret_parameter_name, WithDecryption=True)

    assert resources.secret_parameter_name == f"/{resources.stack_name}/url-secret"
    assert parameter["Parameter"]["Type"] == "SecureString"
    assert parameter["Parameter"]["Value"] == SECRET


def test_worker_batch_size_comes_from_the_sqs_event(resources: StackResources) -> None:
    assert resources.worker_batch_size == 10


def test_find_stack_resources_names_the_templates_own_resources(resources: StackResources) -> None:
    cloudformation = boto3.client("cloudformation")

    def physical(logical_id: str) -> str:
        found = cloudformation.describe_stack_resource(StackName=resources.stack_name, LogicalResourceId=logical_id)
        return str(found["StackResourceDetail"]["PhysicalResourceId"])

    found = find_stack_resources(resources.stack_name)

    assert (found.table_name, found.bucket_name) == (physical("PostbacksTable"), physical("PostbacksBucket"))
    assert (found.queue_url, found.dead_letter_queue_url) == (physical("WorkQueue"), physical("DeadLetterQueue"))


# --- the functions, as the template defines them ----------------------------------------------------


@pytest.fixture
def runtime(stack: StackResources) -> Iterator[LocalRuntime]:
    local, _ = build_runtime(stack)
    yield local
    local.stop()


def test_functions_get_the_templates_environment_with_globals_merged(
    runtime: LocalRuntime, stack: StackResources
) -> None:
    ingest = runtime.function("IngestFunction").environment
    worker = runtime.function("WorkerFunction").environment

    for environment in (ingest, worker):  # Globals, !Ref resolved to the local resources and parameters
        assert environment["LOG_LEVEL"] == "INFO"
        assert environment["RETENTION_DAYS"] == "0"
        assert environment["POWERTOOLS_METRICS_NAMESPACE"] == "Postbacks"
        assert environment["TABLE_NAME"] == stack.table_name
        assert environment["BUCKET_NAME"] == stack.bucket_name
        assert environment["QUEUE_URL"] == stack.queue_url
    assert ingest["MAX_BODY_BYTES"] == "524288"
    assert ingest["SECRET_PARAMETER_NAME"] == stack.secret_parameter_name
    assert worker["MEDIA_MAX_BYTES"] == "104857600"
    assert worker["MEDIA_ALLOW_LOOPBACK"] == "true"  # the template says false: only the local stack overrides it


def test_functions_get_the_templates_timeout_and_memory(runtime: LocalRuntime) -> None:
    ingest, worker = runtime.function("IngestFunction"), runtime.function("WorkerFunction")

    assert (ingest.timeout_seconds, ingest.memory_mb) == (10.0, 256)
    assert (worker.timeout_seconds, worker.memory_mb) == (60.0, 512)


def test_the_templates_body_limit_reaches_the_ingest_function(stack: StackResources, tmp_path: Path) -> None:
    # A copy of the template with a tiny MAX_BODY_BYTES, beside the real code.
    (tmp_path / "template.yaml").write_text(
        TEMPLATE.read_text().replace('MAX_BODY_BYTES: "524288"', "MAX_BODY_BYTES: 64")
    )
    for folder in ("functions", "layers"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    runtime, api = build_runtime(stack, tmp_path / "template.yaml")
    secret = "s3cr3t-current"
    body = (SEEDS / "000_sms_mt_n201.xml").read_bytes()
    try:
        runtime.start()
        answer = requests.post(api.postback_url(secret), data=body, headers={"Content-Type": "text/xml"}, timeout=10)
    finally:
        runtime.stop()
        reset_cached_settings()  # the settings read under the tiny limit must not outlive this test

    assert len(body) > 64
    assert (answer.status_code, answer.json()["error"]) == (413, "body_too_large")


def test_runtime_polls_the_templates_queue_into_the_worker(runtime: LocalRuntime, stack: StackResources) -> None:
    [poller] = [source for source in runtime.sources if isinstance(source, SqsPoller)]

    assert poller.queue_url == stack.queue_url
    assert poller.function is runtime.function("WorkerFunction")
    assert poller.batch_size == stack.worker_batch_size


class CountingSource:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def start(self) -> None:
        self.log.append(f"start {self.name}")

    def stop(self) -> None:
        self.log.append(f"stop {self.name}")
        if self.name == "first":
            raise RuntimeError("a source that fails to stop")


def test_runtime_starts_and_stops_every_source_in_order_even_if_one_fails() -> None:
    log: list[str] = []
    with LocalRuntime({}, [CountingSource(log, "first")]) as runtime:
        runtime.add(CountingSource(log, "second"))
        runtime.start()

    assert log == ["start first", "start second", "stop first", "stop second"]


def test_short_form_tags_become_long_form(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Q:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties:\n"
        "      A: !Ref Other\n"
        "      B: !GetAtt Dlq.Arn\n"
        "      C: !Sub '${AWS::StackName}-x'\n"
        "      D: !If [Cond, !Equals [!Ref P, 0], !Ref AWS::NoValue]\n"
    )

    properties = load_template(path)["Resources"]["Q"]["Properties"]

    assert properties == {
        "A": {"Ref": "Other"},
        "B": {"Fn::GetAtt": ["Dlq", "Arn"]},
        "C": {"Fn::Sub": "${AWS::StackName}-x"},
        "D": {"Fn::If": ["Cond", {"Fn::Equals": [{"Ref": "P"}, 0]}, {"Ref": "AWS::NoValue"}]},
    }


def test_storage_template_keeps_only_what_moto_can_create() -> None:
    template = load_template(TEMPLATE)

    local = storage_template(template)

    kept = {body["Type"] for body in local["Resources"].values()}
    assert kept == {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue"}
    assert not {"Outputs", "Transform", "Globals"} & set(local)
    assert local["Parameters"] == template["Parameters"]


def test_storage_template_drops_properties_wired_to_dropped_resources() -> None:
    template = {
        "Resources": {
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": {}},
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "DependsOn": ["Fn"],
                "Properties": {
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "NotificationConfiguration": {
                        "LambdaConfigurations": [{"Function": {"Fn::GetAtt": ["Fn", "Arn"]}}]
                    },
                },
            },
        }
    }

    bucket = storage_template(template)["Resources"]["Bucket"]

    assert bucket == {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}}


def test_api_routes_come_from_the_api_events() -> None:
    assert api_routes(load_template(TEMPLATE)) == [Route("/postbacks/{secret}", frozenset({"POST"}))]


# --- the API emulator: HTTP request -> proxy event -> HTTP response ---------------------------------


def test_raw_xml_post_becomes_a_proxy_event(api: ApiEmulator, ingest: RecordingHandler) -> None:
    xml = (SEEDS / "000_sms_mt_n201.xml").read_bytes()

    answer = requests.post(
        api.postback_url(SECRET) + "?a=1&a=2&b=x%20y", data=xml, headers={"Content-Type": "text/xml"}, timeout=10
    )

    assert answer.status_code == 200
    [event] = ingest.events
    assert event["httpMethod"] == "POST"
    assert event["resource"] == "/postbacks/{secret}"
    assert event["path"] == f"/postbacks/{SECRET}"
    assert event["pathParameters"] == {"secret": SECRET}
    assert event["body"] == xml.decode("utf-8")
    assert event["isBase64Encoded"] is False
    assert event["headers"]["Content-Type"] == "text/xml"
    assert event["multiValueHeaders"]["Content-Type"] == ["text/xml"]
    assert event["queryStringParameters"] == {"a": "2", "b": "x y"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    context = event["requestContext"]
    assert context["resourcePath"] == "/postbacks/{secret}"
    assert context["httpMethod"] == "POST"
    assert context["stage"] == "local"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert uuid.UUID(context["requestId"])


def test_form_post_reaches_the_function_as_text(api: ApiEmulator, ingest: RecordingHandler) -> None:
    answer = requests.post(api.postback_url(SECRET), data={"xml": "<RESPONSE>ü</RESPONSE>"}, timeout=10)

    assert answer.status_code == 200
    [event] = ingest.events
    assert event["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert event["body"] == "xml=%3CRESPONSE%3E%C3%BC%3C%2FRESPONSE%3E"
    assert event["isBase64Encoded"] is False


def test_binary_post_reaches_the_function_base64_encoded(api: ApiEmulator, ingest: RecordingHandler) -> None:
    body = b"\xff\xfe<RESPONSE>\x00\x81</RESPONSE>"

    requests.post(api.postback_url(SECRET), data=body, headers={"Content-Type": "text/xml"}, timeout=10)

    [event] = ingest.events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_chunked_post_is_reassembled(api: ApiEmulator, ingest: RecordingHandler) -> None:
    parts = [b"<RESPONSE>", b"<CODE>N201</CODE>", b"</RESPONSE>"]

    requests.post(api.postback_url(SECRET), data=iter(parts), headers={"Content-Type": "text/xml"}, timeout=10)

    [event] = ingest.events
    assert event["body"] == b"".join(parts).decode()


def raw_request(api: ApiEmulator, head: str, body: bytes = b"") -> bytes:
    """The status line the emulator answers a hand-made request with."""
    with socket.create_connection((api.server.host, api.server.port), timeout=10) as connection:
        connection.sendall(head.encode() + body)
        return connection.makefile("rb").readline()


def test_malformed_chunked_body_is_400(api: ApiEmulator, ingest: RecordingHandler) -> None:
    head = f"POST /postbacks/{SECRET} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

    status_line = raw_request(api, head, b"zz\r\n<x/>\r\n0\r\n\r\n")

    assert status_line.split()[1] == b"400"
    assert ingest.events == []


def test_chunked_body_over_api_gateway_limit_is_413(api: ApiEmulator, ingest: RecordingHandler) -> None:
    chunk = b"x" * (1024 * 1024)
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(11)) + b"0\r\n\r\n"
    head = f"POST /postbacks/{SECRET} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

    status_line = raw_request(api, head, body)

    assert status_line.split()[1] == b"413"
    assert ingest.events == []


def test_chunked_body_of_exactly_the_limit_arrives_whole(api: ApiEmulator, ingest: RecordingHandler) -> None:
    body = b"x" * MAX_REQUEST_BYTES

    requests.post(api.postback_url(SECRET), data=iter([body[: len(body) // 2], body[len(body) // 2 :]]), timeout=30)

    [event] = ingest.events
    assert len(event["body"]) == MAX_REQUEST_BYTES


def test_function_answer_is_relayed(api: ApiEmulator, ingest: RecordingHandler) -> None:
    ingest.result = {
        "statusCode": 503,
        "headers": {"Content-Type": "application/json", "Retry-After": "300"},
        "body": '{"error":"storage_unavailable"}',
        "isBase64Encoded": False,
    }

    answer = requests.post(api.postback_url(SECRET), data="<x/>", timeout=10)

    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "300"
    assert answer.json() == {"error": "storage_unavailable"}


def test_base64_answer_is_decoded(api: ApiEmulator, ingest: RecordingHandler) -> None:
    ingest.result = {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}

    answer = requests.post(api.postback_url(SECRET), data="<x/>", timeout=10)

    assert answer.content == b"\x00\x01"


def test_body_over_api_gateway_limit_is_413(api: ApiEmulator, ingest: RecordingHandler) -> None:
    with socket.create_connection((api.server.host, api.server.port), timeout=10) as connection:
        connection.sendall(
            f"POST /postbacks/{SECRET} HTTP/1.1\r\nHost: x\r\nContent-Length: {11 * 1024 * 1024}\r\n\r\n".encode()
        )
        status_line = connection.makefile("rb").readline()

    assert status_line.split()[1] == b"413"
    assert ingest.events == []


def test_unknown_path_is_404_without_calling_the_function(api: ApiEmulator, ingest: RecordingHandler) -> None:
    answer = requests.post(f"{api.url}/postbacks/{SECRET}/extra", data="<x/>", timeout=10)

    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"
    assert ingest.events == []


def test_method_the_template_does_not_route_is_404(api: ApiEmulator, ingest: RecordingHandler) -> None:
    answer = requests.get(api.postback_url(SECRET), timeout=10)

    assert answer.status_code == 404
    assert ingest.events == []


def test_raising_function_is_a_502(api: ApiEmulator, ingest: RecordingHandler) -> None:
    ingest.result = RuntimeError("boom")

    answer = requests.post(api.postback_url(SECRET), data="<x/>", timeout=10)

    assert answer.status_code == 502
    assert answer.json() == {"message": "Internal server error"}


def test_function_gets_a_lambda_context(api: ApiEmulator, ingest: RecordingHandler) -> None:
    requests.post(api.postback_url(SECRET), data="<x/>", timeout=10)

    [context] = ingest.contexts
    assert context.function_name == "IngestFunction"
    assert context.invoked_function_arn.endswith(":function:IngestFunction")
    assert 0 < context.get_remaining_time_in_millis() <= 30_000
    assert uuid.UUID(context.aws_request_id)


# --- the worker's event source --------------------------------------------------------------------


def send_jobs(stack: StackResources, count: int) -> list[str]:
    sqs = boto3.client("sqs")
    return [
        sqs.send_message(
            QueueUrl=stack.queue_url,
            MessageBody=json.dumps({"job": "test", "n": n}),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
        )["MessageId"]
        for n in range(count)
    ]


def queue_counts(stack: StackResources) -> tuple[int, int]:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def poller(stack: StackResources, worker: RecordingHandler) -> SqsPoller:
    function = LocalFunction("WorkerFunction", worker)
    return SqsPoller(boto3.client("sqs"), stack.queue_url, function, stack.worker_batch_size)


def test_poller_sends_an_sqs_event(moto_endpoint: str) -> None:
    stack = new_stack()
    worker = RecordingHandler({"batchItemFailures": []})
    [message_id] = send_jobs(stack, 1)

    local = poller(stack, worker)
    local.poll_once(wait_seconds=0)

    [event] = worker.events
    [record] = event["Records"]
    assert record["messageId"] == message_id
    assert json.loads(record["body"]) == {"job": "test", "n": 0}
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == local.queue_arn
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"]["stringValue"] == "test"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    assert record["md5OfBody"]


def test_poller_deletes_successes_and_keeps_reported_failures(moto_endpoint: str) -> None:
    stack = new_stack()
    ids = send_jobs(stack, 3)
    worker = RecordingHandler({"batchItemFailures": [{"itemIdentifier": ids[1]}]})

    received = poller(stack, worker).poll_once(wait_seconds=0)

    assert received == 3
    # The failure stays in flight until its visibility timeout, then comes back (or goes to the DLQ).
    assert queue_counts(stack) == (0, 1)


def test_poller_deletes_nothing_when_the_handler_raises(moto_endpoint: str) -> None:
    stack = new_stack()
    send_jobs(stack, 2)
    worker = RecordingHandler(RuntimeError("worker crashed"))

    poller(stack, worker).poll_once(wait_seconds=0)

    assert queue_counts(stack) == (0, 2)


def test_running_poller_drains_the_queue(moto_endpoint: str) -> None:
    stack = new_stack()
    send_jobs(stack, 12)
    worker = RecordingHandler({"batchItemFailures": []})

    with LocalRuntime({}, [poller(stack, worker)]) as local:
        local.start()
        deadline = time.monotonic() + 15
        while queue_counts(stack) != (0, 0) and time.monotonic() < deadline:
            time.sleep(0.1)

    assert queue_counts(stack) == (0, 0)
    assert sum(len(event["Records"]) for event in worker.events) == 12
    assert max(len(event["Records"]) for event in worker.events) <= stack.worker_batch_size


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, {"a", "b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
    ],
)
def test_partial_batch_response_follows_lambda_rules(result: Any, expected: set[str]) -> None:
    assert failed_message_ids(result, ["a", "b"]) == expected


# --- the process `make run` starts ----------------------------------------------------------------


@pytest.mark.slow
def test_process_prints_urls_serves_and_stops_on_ctrl_c() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"PORT": str(port), "PYTHONPATH": "tools:layers/postbacks"}
    process, printed = start_local_stack(env)
    try:
        assert printed["POSTBACK_URL"].startswith(f"http://127.0.0.1:{port}/postbacks/")
        assert printed["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        answer = requests.post(
            printed["POSTBACK_URL"],
            data=(SEEDS / "000_sms_mt_n201.xml").read_bytes(),
            headers={"Content-Type": "text/xml"},
            timeout=10,
        )
        assert answer.status_code == 200

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
