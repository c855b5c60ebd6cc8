"""Fixtures of the reliability suite: a canary for outbound fetches, the local API over loopback, a media host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from postbacks_tools.local_stack import LocalFunction, LocalStack, load_handler
from postbacks_tools.stack_resources import StackResources
from tests.reliability.support import REPORT_LINES, ROOT, RecordingServer


@pytest.fixture
def canary() -> Iterator[RecordingServer]:
    """Where hostile documents point their external references: any request to it is a fetch that must not happen."""
    with RecordingServer() as server:
        yield server


@pytest.fixture
def media_host() -> Iterator[RecordingServer]:
    """A carrier's content host whose answer a test can switch (503 while it is down, 200 once it recovers)."""
    with RecordingServer(status=503, body=b"GIF89a" + bytes(range(256))) as server:
        yield server


LISTEN_BACKLOG = 128


@pytest.fixture
def local_api(stack: StackResources) -> Iterator[LocalStack]:
    """The local stack's API server (API Gateway's stand-in) on a free loopback port, ingest function behind it."""
    functions = ROOT / "functions"
    ingest = LocalFunction("IngestFunction", load_handler(functions / "ingest" / "app.py", "reliability_ingest_app"))
    worker = LocalFunction("WorkerFunction", load_handler(functions / "worker" / "app.py", "reliability_worker_app"))
    api = LocalStack(stack, ingest, worker, port=0)
    # socketserver listens with a backlog of 5: a burst of 50 connections is reset. A deeper queue, as any
    # real front door has, until local_stack's _ApiServer sets request_queue_size itself.
    api.api.socket.listen(LISTEN_BACKLOG)
    api.start(poll=False)
    try:
        yield api
    finally:
        api.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT_LINES:
        terminalreporter.section("reliability")
        for line in REPORT_LINES:
            terminalreporter.write_line(line)
