"""What the test suites share: the vendor's examples, posting to the ingest function, reading back the stack."""

from __future__ import annotations

import importlib.util
import json
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from postbacks.domain import decoding, parsing
from postbacks.domain.errors import PostbackRejected, Reason
from postbacks.storage.store import PostbackStore
from postbacks_cli.local_stacks import StackResources
from postbacks_local.lambda_events import failed_message_ids, sqs_event
from postbacks_local.runtime import Handler, load_handler
from postbacks_local.sample_events import api_event, content_type_for

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
SECRET = "s3cr3t-current"
Invoke = Callable[[dict[str, Any]], dict[str, Any]]


# The docs' broken copies (tags stripped, curl commands, typographic quotes) are refused by design.
_BROKEN = ("broken", "typographic", "tags_stripped", "curl")


def is_well_formed(name: str) -> bool:
    """A seed example (or its API Gateway event) that the receiver accepts."""
    return name.endswith((".xml", ".json")) and not any(word in name for word in _BROKEN)


WELL_FORMED_SEEDS: list[Path] = [path for path in sorted(SEEDS.iterdir()) if is_well_formed(path.name)]


def content_type_of(path: Path) -> str:
    return content_type_for(path.name)


def post(
    invoke: Invoke, body: bytes, content_type: str | None = "text/xml", secret: str = SECRET
) -> tuple[int, dict[str, Any]]:
    """One delivery through the real handler; non-UTF-8 bodies arrive base64-encoded, as from API Gateway."""
    answer = invoke(api_event(body, secret=secret, content_type=content_type))
    return int(answer["statusCode"]), json.loads(answer["body"])


def stored_events(stack: StackResources) -> list[dict[str, Any]]:
    """Every postback item (`sk = S#...`) in the table, read consistently."""
    paginator = boto3.client("dynamodb").get_paginator("scan")
    items: list[dict[str, Any]] = []
    for page in paginator.paginate(
        TableName=stack.table_name,
        FilterExpression="begins_with(sk, :e)",
        ExpressionAttributeValues={":e": {"S": "S#"}},
        ConsistentRead=True,
    ):
        items.extend(page.get("Items", []))
    return items


def kept_keys(stack: StackResources, prefix: str) -> list[str]:
    """Raw bodies kept in the bucket under `quarantine/` or `unstored/`."""
    paginator = boto3.client("s3").get_paginator("list_objects_v2")
    return [
        item["Key"]
        for page in paginator.paginate(Bucket=stack.bucket_name, Prefix=prefix)
        for item in page.get("Contents", [])
    ]


def free_port() -> int:
    """A loopback port nothing listens on (bound and closed again)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reset_cached_settings() -> None:
    # Settings, clients and the secret cache are read once per Lambda container; tests start each afresh.
    from postbacks.service import settings
    from postbacks.storage import aws, secrets

    settings.clear()
    aws.reset_clients()
    aws.start_deadline(None)
    secrets.reset()


def load_function(name: str) -> Handler:
    """A function's `lambda_handler`, imported afresh from its file as Lambda does."""
    return load_handler(ROOT / "functions" / name / "app.py", f"{name}_app")


def start_local_stack(env: dict[str, str], seconds: float = 60) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`make run`'s process; returns it and the POSTBACK_URL / AWS_ENDPOINT_URL lines it printed within `seconds`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "postbacks_local.local_stack"],
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stdout or ():
            lines.put(line.rstrip("\n"))

    # A reader thread, so a silent process cannot block the caller past the deadline.
    threading.Thread(target=read, daemon=True).start()
    printed: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    while len(printed) < 2 and time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        name, _, value = line.partition("=")
        if name in ("POSTBACK_URL", "AWS_ENDPOINT_URL"):
            printed[name] = value
    return process, printed


def save_seed(store: PostbackStore, body: bytes, received_at: str = "2026-11-22T10:00:00.000Z") -> None:
    """Store every postback of a body straight through the store, as the ingestor would (a lone one with its bytes)."""
    postbacks = parsing.parse(decoding.payload(body, None)).postbacks
    for postback in postbacks:
        store.save(postback, received_at, body if len(postbacks) == 1 else None)


def seed(name: str) -> bytes:
    return (SEEDS / name).read_bytes()


class RecordingHandler:
    """A stand-in function: remembers every event and answers with a fixed result (or raises it)."""

    def __init__(self, result: Any = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.result = result if result is not None else {"statusCode": 200, "body": '{"status":"accepted"}'}

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


# --- the work queue, driven as Lambda's SQS poller does ---


def queue_arn(url: str) -> str:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def deliver_once(stack: StackResources, worker: Invoke, *, release_failed: bool = False) -> tuple[int, set[str]]:
    """One receive and one worker call; returns how many messages came and the ids the worker reported failed.

    Succeeded messages are deleted. Failed ones stay on the queue: invisible until their timeout, as on SQS, or
    visible again at once with `release_failed` (their timeout, elapsed).
    """
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=stack.queue_url, MaxNumberOfMessages=stack.worker_batch_size, AttributeNames=["All"]
    ).get("Messages", [])
    if not messages:
        return 0, set()
    ids = [message["MessageId"] for message in messages]
    failed = failed_message_ids(worker(sqs_event(messages, queue_arn(stack.queue_url), stack.region)), ids)
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=stack.queue_url, ReceiptHandle=message["ReceiptHandle"])
        elif release_failed:
            sqs.change_message_visibility(
                QueueUrl=stack.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    return len(messages), failed


def drain(stack: StackResources, worker: Invoke, rounds: int = 100, until_empty: bool = True) -> list[str]:
    """Feed the queue to the worker until it is empty; returns the ids of the messages it reported failed.

    A failed message stays on the queue (deleted only on success), so `until_empty` means "no failures left".
    """
    failures: list[str] = []
    for _ in range(rounds):
        received, failed = deliver_once(stack, worker)
        if not received:
            if until_empty:
                return failures
            continue
        failures.extend(failed)
    if until_empty:
        raise AssertionError("the queue never drained")
    return failures


# --- rewriting the vendor's examples; the hostile corpus; lines printed at the end of a run ---

HOSTILE = ROOT / "tests" / "fixtures" / "hostile"

# Lines the tests want printed at the end of the run (the load test's figures), see conftest.py.
REPORT_LINES: list[str] = []


ALL_SEEDS: list[Path] = sorted(SEEDS.iterdir())


_XML_TRACKING_ID = re.compile(rb"(<(TRACKINGID|tracking-id)>)[^<]*(</\2>)")
_JSON_TRACKING_ID = re.compile(rb'("tracking-id"\s*:\s*")[^"]*(")')


def with_tracking_id(raw: bytes, tracking_id: str) -> bytes:
    """A seed example rewritten to carry another tracking id (a different message, same shape)."""
    new = tracking_id.encode()
    rewritten, count = _XML_TRACKING_ID.subn(lambda m: m.group(1) + new + m.group(3), raw)
    if not count:
        rewritten, count = _JSON_TRACKING_ID.subn(lambda m: m.group(1) + new + m.group(2), raw)
    if not count:
        raise ValueError("the example has no tracking id")
    return rewritten


def has_tracking_id(raw: bytes) -> bool:
    return bool(_XML_TRACKING_ID.search(raw) or _JSON_TRACKING_ID.search(raw))


# --- bytes through the domain, as ingest sends them ---


def parsed(raw: bytes, content_type: str | None = None) -> parsing.ParsedBody:
    return parsing.parse(decoding.payload(raw, content_type))


def canonical(raw: bytes, content_type: str | None = None) -> list[dict[str, Any]]:
    return [postback.canonical() for postback in parsed(raw, content_type).postbacks]


def refusal(raw: bytes, content_type: str | None = None) -> tuple[Reason, str]:
    with pytest.raises(PostbackRejected) as refused:
        parsed(raw, content_type)
    return refused.value.reason, refused.value.detail


def build_layer_module() -> ModuleType:
    """layers/postbacks/build_layer.py, the layer build's own code (a script beside the layer, not a package)."""
    spec = importlib.util.spec_from_file_location("build_layer", ROOT / "layers" / "postbacks" / "build_layer.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
