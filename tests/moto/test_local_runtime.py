"""The runtime: the template's functions with their environment, timeout and memory; the event sources around them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from postbacks_cli.local_stacks import StackResources
from postbacks_local.local_stack import build_runtime
from postbacks_local.runtime import LocalRuntime, Poller
from postbacks_local.sqs_poller import SqsPoller
from tests.helpers import SEEDS, reset_cached_settings

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


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
    assert ingest["URL_SECRET_ARN"] == stack.url_secret_arn
    assert ingest["ALLOWED_SOURCE_CIDRS"] == ""
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


class FlakyPoller(Poller):
    """A source in the shape a new poller takes: poll_once fails on its first call, then counts."""

    name = "flaky-poller"
    retry_seconds = 0.01

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.polled = threading.Event()

    def poll_once(self, wait_seconds: int | None = None) -> int:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("a receive that failed")
        self.polled.set()
        self._stop.wait(0.01)
        return 0


def test_a_poller_outlives_a_failed_poll_and_stops_with_the_runtime() -> None:
    source = FlakyPoller()
    with LocalRuntime({}, [source]) as runtime:
        runtime.start()
        assert source.polled.wait(10)

    assert source.calls >= 2
    assert not source._thread.is_alive()


def test_runtime_starts_and_stops_every_source_in_order_even_if_one_fails() -> None:
    log: list[str] = []
    with LocalRuntime({}, [CountingSource(log, "first")]) as runtime:
        runtime.add(CountingSource(log, "second"))
        runtime.start()

    assert log == ["start first", "start second", "stop first", "stop second"]
