"""Shared fixtures: one moto server per test session, reached over HTTP like real AWS."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# `make mutation` runs the suite once per mutant: fewer examples there, the full count everywhere else.
settings.register_profile("mutation", max_examples=10, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
# The layer and the tools are importable the way Lambda and the console script see them.
for path in (ROOT / "layers" / "postbacks", ROOT / "tools"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from postbacks_cli.local_stacks import StackResources  # noqa: E402
from postbacks_local.api import ApiEmulator  # noqa: E402
from postbacks_local.runtime import LOCAL_OVERRIDES, LocalFunction  # noqa: E402
from postbacks_local.stack_resources import create_stack_resources, function_environments  # noqa: E402
from tests.helpers import Invoke, free_port, load_function, reset_cached_settings  # noqa: E402
from tests.leaks import pytest_runtest_makereport  # noqa: E402, F401 - every test's logs and metrics are checked


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
    # Both functions' variables from the template, as the local stack gives them.
    for environment in function_environments(resources).values():
        for key, value in (environment | LOCAL_OVERRIDES).items():
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PostbacksTest")
    # A shared 2-core machine is slower than Lambda; the answer deadline's own tests set the real budget.
    monkeypatch.setenv("ANSWER_BUDGET_SECONDS", "25")
    reset_cached_settings()
    return resources


def handler(name: str) -> Invoke:
    """A function's handler invoked the way the local stack invokes it: a Lambda context, one at a time."""
    return LocalFunction("postbacks-test", load_function(name), memory_mb=256).invoke


@pytest.fixture
def ingest(stack: StackResources) -> Invoke:
    return handler("ingest")


@pytest.fixture
def worker(stack: StackResources) -> Invoke:
    return handler("worker")


@pytest.fixture
def local_api(stack: StackResources) -> Iterator[ApiEmulator]:
    """The local API emulator (API Gateway's stand-in) on a free loopback port, the ingest function behind it."""
    api = ApiEmulator(LocalFunction("IngestFunction", load_function("ingest")), port=0)
    api.start()  # the tests drive the queue themselves, or do not need it
    try:
        yield api
    finally:
        api.stop()
