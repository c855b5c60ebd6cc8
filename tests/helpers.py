"""What the test suites share: the vendor's examples, posting to the ingest function, reading back the stack."""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from postbacks.domain import decoding, parsing
from postbacks.storage.store import PostbackStore
from postbacks_cli.local_stacks import StackResources
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
