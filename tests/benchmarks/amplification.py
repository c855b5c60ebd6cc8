"""Amplification: memory, queued bytes and stored bytes as multiples of the body, for adversarial bodies.

In process, with the real ingest and worker code and storage stand-ins that keep what would leave: each queued
job's JSON, each DynamoDB item (its attribute names and values), each S3 body. tracemalloc's peak is taken
across the ingest call alone (the function with 256 MB) and across the worker's jobs one by one.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

from tests.benchmarks.measure import Figure, Section, progress

# Each ratio at most this many times the body: what docs/limits.md promises.
BUDGET = 4.0


def _bodies() -> dict[str, bytes]:
    tiny = "".join(f"<NOTIFICATION><CODE>N211</CODE><FROM>1555{n:07d}</FROM></NOTIFICATION>" for n in range(1000))
    namespaced = "".join(
        f"<p:NOTIFICATION><p:CODE>N211</p:CODE><p:BODY><p:FROM>1555{n:07d}</p:FROM><p:TO>86717</p:TO>"
        f"<p:TEXT>STOP</p:TEXT></p:BODY></p:NOTIFICATION>"
        for n in range(1000)
    )
    files = "".join(f"<FILE>https://media.example.com/mms/{n:04d}.jpg</FILE>" for n in range(1000))
    return {
        "360 KB envelope + 1,000 tiny notifications": (
            f"<POSTBACK><ACCOUNT>{'a' * 360_000}</ACCOUNT>{tiny}</POSTBACK>".encode()
        ),
        "1,000 namespaced notifications": (
            f'<POSTBACK xmlns="urn:postbacks" xmlns:p="urn:p">{namespaced}</POSTBACK>'.encode()
        ),
        "1,000 namespaced notifications, UTF-16": b"\xff\xfe"
        + f'<POSTBACK xmlns:p="urn:p">{namespaced}</POSTBACK>'.encode("utf-16-le"),
        "MMS MO with 1,000 files": (
            "<POSTBACK><ORIGIN>MMS_MO</ORIGIN><CODE>N401</CODE><FROM>13217949521</FROM><TO>74700</TO>"
            f"<TRACKINGID>MMS_MO_bench</TRACKINGID><CONTENT>{files}</CONTENT></POSTBACK>"
        ).encode(),
    }


def _item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: attribute names plus values."""
    total = 0
    for name, value in item.items():
        total += len(name.encode())
        if isinstance(value, bytes):
            total += len(value)
        elif isinstance(value, str):
            total += len(value.encode())
        elif isinstance(value, dict):
            total += _item_bytes(value)
        elif isinstance(value, list | tuple | set):
            total += sum(len(str(each).encode()) for each in value)
        else:
            total += len(str(value))
    return total


def _peak(work: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(body: bytes) -> dict[str, float]:
    from postbacks.domain.jobs import AnyJob, FetchJob, dump_job
    from postbacks.domain.models import Postback
    from postbacks.service.ingest import Ingestor, IngestRequest, Outcome
    from postbacks.service.worker import Worker
    from postbacks.storage import codec, media
    from postbacks.storage.queue import JobQueue
    from postbacks.storage.store import PostbackStore, SaveResult
    from tests.benchmarks.fakes import InMemoryBundles, InMemoryQuarantine

    class Queue(JobQueue):
        def __init__(self) -> None:
            super().__init__("in-memory")
            self.waiting: list[str] = []
            self.bytes = 0

        def send(self, jobs: Sequence[AnyJob]) -> int:
            bodies = [dump_job(job) for job in jobs]
            self.bytes += sum(len(each.encode()) for each in bodies)
            self.waiting.extend(bodies)
            return len(jobs)

    class Store(PostbackStore):
        def __init__(self) -> None:
            super().__init__("in-memory")
            self.bytes = 0

        def save(self, postback: Postback, received_at: str, raw: bytes | None = None) -> SaveResult:
            item = codec.postback_item(postback, received_at, raw)
            self.bytes += _item_bytes(item)
            return SaveResult(item["message_key"], item["event_id"], True)

    class Bundles(InMemoryBundles):
        def __init__(self) -> None:
            super().__init__()
            self.bytes = 0

        def put(self, request_id: str, body: bytes) -> str:
            self.bytes += len(body)
            return super().put(request_id, body)

    queue, store, bundles = Queue(), Store(), Bundles()
    ingestor = Ingestor(store, queue, InMemoryQuarantine(), 524_288, bundles)
    request = IngestRequest(body, {"content-type": "text/xml"}, "bench-amplification")
    result, ingest_peak = _peak(lambda: ingestor.ingest(request))
    if result.outcome is not Outcome.ACCEPTED:
        raise RuntimeError(f"the benchmark's body was not accepted: {result}")
    limits = media.FetchLimits(max_bytes=1, connect_timeout=1, read_timeout=1, max_redirects=0, allow_loopback=False)
    worker = Worker(ingestor, store, "in-memory", limits)
    worker_peak = 0
    while queue.waiting:
        job = queue.waiting.pop(0)
        if '"job":"fetch"' in job[:20] and FetchJob.model_validate_json(job):
            continue  # a media fetch: its bytes are the file's, not the body's
        _, peak = _peak(lambda job=job: worker.handle(job))  # type: ignore[misc]
        worker_peak = max(worker_peak, peak)
    size = len(body)
    return {
        "body": size,
        "ingest_memory": ingest_peak / size,
        "worker_memory": worker_peak / size,
        "queued": (queue.bytes + bundles.bytes) / size,
        "stored": store.bytes / size,
    }


def run() -> Section:
    rows: dict[str, dict[str, float]] = {}
    for name, body in _bodies().items():
        progress(f"amplification: {name}")
        rows[name] = measure(body)
    worst = {key: max(row[key] for row in rows.values()) for key in ("ingest_memory", "queued", "stored")}
    lines = [
        "Ratios to the body's size. Memory: tracemalloc's peak across one ingest call, and across the worker's "
        "costliest job. Queued: every job's JSON plus the S3 copy of a bundle. Stored: every DynamoDB item "
        "(attribute names and values; raw bytes compressed as stored).",
        "",
        "| body | size | ingest memory | worker memory | queued | stored |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['body'] / 1024:.0f} KiB | {row['ingest_memory']:.1f}x | {row['worker_memory']:.1f}x "
            f"| {row['queued']:.2f}x | {row['stored']:.2f}x |"
        )
    figures = [
        Figure(f"worst {label} / body", f"{worst[key]:.2f}x", f"<= {BUDGET:.0f}x", worst[key] <= BUDGET)
        for key, label in (("queued", "queued bytes"), ("stored", "stored bytes"))
    ]
    figures.append(Figure("worst ingest peak memory / body", f"{worst['ingest_memory']:.1f}x"))
    return Section("Amplification", figures, "\n".join(lines))


if __name__ == "__main__":
    section = run()
    print(section.detail)
