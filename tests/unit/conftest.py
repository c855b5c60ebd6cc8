"""The unit suite is pure: no moto, no sockets, no subprocesses. A test that reaches for one fails."""

from __future__ import annotations

import socket
import subprocess
from typing import Any

import pytest


def _refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("unit tests are pure: use tests/moto for anything that needs a network or a process")


@pytest.fixture(autouse=True)
def _pure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(subprocess, "Popen", _refuse)
