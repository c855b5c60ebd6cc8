"""Fixtures of the reliability suite: a canary for outbound fetches, the local API over loopback, a media host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import REPORT_LINES
from tests.moto.media_server import RecordingServer


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


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT_LINES:
        terminalreporter.section("reliability")
        for line in REPORT_LINES:
            terminalreporter.write_line(line)
