"""What the reliability tests share: the vendor's examples, posting to the ingest function, reading back the stack."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3

from postbacks_tools.sample_events import api_event
from postbacks_tools.stack_resources import StackResources

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
SECRET = "s3cr3t-current"
Invoke = Callable[[dict[str, Any]], dict[str, Any]]

# Lines the tests want printed at the end of the run (the load test's figures), see conftest.py.
REPORT_LINES: list[str] = []


def content_type_of(path: Path) -> str:
    return "application/json" if path.suffix == ".json" else "text/xml"


def _is_well_formed(path: Path) -> bool:
    # The docs' broken copies (tags stripped, curl commands, typographic quotes) are refused by design.
    broken = ("broken", "typographic", "tags_stripped", ".curl")
    return path.suffix in (".xml", ".json") and not any(word in path.name for word in broken)


ALL_SEEDS: list[Path] = sorted(SEEDS.iterdir())
WELL_FORMED_SEEDS: list[Path] = [path for path in ALL_SEEDS if _is_well_formed(path)]


def post(invoke: Invoke, body: bytes, content_type: str | None = "text/xml") -> tuple[int, dict[str, Any]]:
    """One delivery through the real handler; non-UTF-8 bodies arrive base64-encoded, as from API Gateway."""
    answer = invoke(api_event(body, secret=SECRET, content_type=content_type))
    return int(answer["statusCode"]), json.loads(answer["body"])


def stored_events(stack: StackResources) -> list[dict[str, Any]]:
    """Every postback item (`sk = E#...`) in the table, read consistently."""
    paginator = boto3.client("dynamodb").get_paginator("scan")
    items: list[dict[str, Any]] = []
    for page in paginator.paginate(
        TableName=stack.table_name,
        FilterExpression="begins_with(sk, :e)",
        ExpressionAttributeValues={":e": {"S": "E#"}},
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


class RecordingServer:
    """An HTTP server on 127.0.0.1 that answers every request with `status` and remembers the paths asked for."""

    def __init__(self, status: int = 200, body: bytes = b"canary") -> None:
        self.hits: list[str] = []
        self.status = status
        self.body = body
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                owner.hits.append(self.path)
                self.send_response(owner.status)
                self.send_header("Content-Type", "image/gif")
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                self.wfile.write(owner.body)

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass  # failures are what the tests report, not access logs

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.address}{path}"

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
