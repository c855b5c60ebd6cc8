"""Shared fixtures: one moto server per test session, reached over HTTP like real AWS."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The layer and the tools are importable the way Lambda and the console script see them.
for path in (ROOT / "layers" / "postbacks", ROOT / "tools"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from postbacks_tools.stack_resources import StackResources, create_stack_resources  # noqa: E402

SEEDS = ROOT / "tests" / "seeds"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in _AWS_ENV}
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
    )
    os.environ.pop("AWS_PROFILE", None)
    yield endpoint
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


_AWS_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_PROFILE",
)


@pytest.fixture
def stack(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> StackResources:
    """A fresh set of the template's resources (table, bucket, queues, secret) for one test."""
    resources = create_stack_resources(
        template=ROOT / "template.yaml",
        stack_name=f"t-{uuid.uuid4().hex[:10]}",
        secret="s3cr3t-current,s3cr3t-previous",
    )
    for key, value in resources.function_environment().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MEDIA_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PostbacksTest")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "postbacks")
    _reset_cached_settings()
    return resources


def _reset_cached_settings() -> None:
    # Settings, clients and the secret cache are read once per Lambda container; tests start each afresh.
    from aws_lambda_powertools.utilities import parameters

    from postbacks.service import settings
    from postbacks.storage import aws

    settings.get_settings.cache_clear()
    aws.reset_clients()
    parameters.clear_caches()


class FakeLambdaContext:
    function_name = "postbacks-test"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:postbacks-test"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/postbacks-test"
    log_stream_name = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def load_function(name: str) -> ModuleType:
    """A function's `app.py`, loaded by path as Lambda would (each function's module is called `app`)."""
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"{name}_app", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def ingest(stack: StackResources) -> Callable[[dict[str, Any]], dict[str, Any]]:
    module = load_function("ingest")
    return lambda event: module.lambda_handler(event, FakeLambdaContext())  # type: ignore[no-any-return]


@pytest.fixture
def worker(stack: StackResources) -> Callable[[dict[str, Any]], dict[str, Any]]:
    module = load_function("worker")
    return lambda event: module.lambda_handler(event, FakeLambdaContext())  # type: ignore[no-any-return]
