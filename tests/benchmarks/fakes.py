"""In-memory storage for the warm-handler benchmark only: the handler's own work, without the network.

Each fake keeps the CPU work our code does before a request leaves (the key rule, the fingerprint,
the canonical item, the job's JSON) and drops the request. The tests never use these: they run
against a moto server.
"""

from __future__ import annotations

from collections.abc import Sequence

from postbacks.domain.jobs import AnyJob, dump_job
from postbacks.domain.models import Postback
from postbacks.service.ingest import Ingestor
from postbacks.storage import codec
from postbacks.storage.bundles import BundleBodies
from postbacks.storage.quarantine import KeptBody, Quarantine
from postbacks.storage.queue import JobQueue
from postbacks.storage.store import PostbackStore, SaveResult

SECRET = "bench-secret"  # the URL secret the benchmark posts to


class InMemoryStore(PostbackStore):
    def __init__(self) -> None:
        super().__init__("in-memory")
        self.events: set[tuple[str, str]] = set()

    def save(self, postback: Postback, received_at: str, raw: bytes | None = None) -> SaveResult:
        item = codec.postback_item(postback, received_at, raw)  # the real store's CPU work, raw compressed
        key, event_id = item["message_key"], item["event_id"]
        new = (key, event_id) not in self.events
        self.events.add((key, event_id))
        return SaveResult(key, event_id, new)


class InMemoryQueue(JobQueue):
    def __init__(self) -> None:
        super().__init__("in-memory")
        self.sent = 0
        self.bytes = 0

    def send(self, jobs: Sequence[AnyJob]) -> int:
        for job in jobs:
            self.bytes += len(dump_job(job))
        self.sent += len(jobs)
        return len(jobs)


class InMemoryQuarantine(Quarantine):
    def __init__(self) -> None:
        super().__init__("in-memory")
        self.kept: list[bytes] = []

    def keep_rejected(self, raw: bytes, kept: KeptBody) -> str:
        self.kept.append(raw)
        return f"memory://quarantine/{kept.reason}/{len(self.kept)}"

    def keep_unstored(self, raw: bytes, kept: KeptBody) -> str:
        self.kept.append(raw)
        return f"memory://unstored/{len(self.kept)}"


class InMemoryBundles(BundleBodies):
    def __init__(self) -> None:
        super().__init__("in-memory")
        self.bodies: dict[str, bytes] = {}

    def put(self, request_id: str, body: bytes) -> str:
        self.bodies[request_id] = body
        return request_id

    def get(self, key: str) -> bytes:
        return self.bodies[key]


def in_memory_ingestor(max_body_bytes: int = 524_288) -> Ingestor:
    return Ingestor(
        store=InMemoryStore(),
        queue=InMemoryQueue(),
        quarantine=InMemoryQuarantine(),
        max_body_bytes=max_body_bytes,
        bundles=InMemoryBundles(),
    )
