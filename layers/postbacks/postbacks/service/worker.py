"""Queue jobs: split and store a bundle's items, fan an MMS MO's files out, archive one file into S3."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from postbacks.domain import timestamps
from postbacks.domain.jobs import BundleJob, FetchJob, MediaJob, StoreJob, parse_job
from postbacks.outbound.deadline import Deadline
from postbacks.service.ingest import (
    Ingestor,
    IngestRequest,
    Outcome,
    Stored,
    ingestor_from_settings,
    parse_body,
    split_exactly,
)
from postbacks.service.settings import WorkerSettings
from postbacks.storage import aws, keys, media
from postbacks.storage.errors import StorageRefused, StorageUnavailable
from postbacks.storage.store import PostbackStore


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A bundle item the store refused for good, kept for replay (`postbacks rejected`) and acknowledged."""

    kept_at: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class BundleStored:
    """What one bundle job did with its items: stored (new or already there), or refused and kept."""

    stored: tuple[Stored, ...]
    refused: tuple[Quarantined, ...]


@dataclass(frozen=True, slots=True)
class MediaQueued:
    files: int


type Done = Stored | Quarantined | BundleStored | MediaQueued | media.ArchivedFile


@dataclass(frozen=True, slots=True)
class Worker:
    ingestor: Ingestor
    store: PostbackStore
    bucket: str
    limits: media.FetchLimits

    def handle(self, body: str, deadline: Deadline | None = None) -> Done:
        """Raises on anything worth retrying (SQS redelivers it, then parks it in the DLQ); a media fetch
        gives up when `deadline` passes."""
        job = parse_job(body)
        if isinstance(job, BundleJob):
            return self._bundle(job)
        if isinstance(job, MediaJob):
            return self._fan_out(job)
        if isinstance(job, StoreJob):
            return self._store(job)
        return self._fetch(job, deadline)

    def _bundle(self, job: BundleJob) -> BundleStored:
        """Items [start, stop) of a bundle, each with its own bytes; a redelivery re-stores nothing."""
        body = job.body if job.body is not None else self.ingestor.bundles.get(job.bundle_key or "")
        # Accepted at the edge by this same code: a refusal here is a deploy that changed the rules, retried.
        payload, parsed = parse_body(body, job.content_type)
        bundle = split_exactly(payload, parsed, job.content_type)
        stored: list[Stored] = []
        refused: list[Quarantined] = []
        for index in range(job.start, min(job.stop, len(parsed.postbacks))):
            fragment = bundle.fragment(index)
            try:
                stored.append(self.ingestor.store_one(parsed.postbacks[index], job.received_at, fragment))
            except StorageRefused as refusal:
                alone = bundle.standalone(index)
                refused.append(self._keep(alone, job.content_type, f"{job.request_id}-{index:03d}", job, refusal))
        return BundleStored(tuple(stored), tuple(refused))

    def _fan_out(self, job: MediaJob) -> MediaQueued:
        fetches = [
            FetchJob(message_key=job.message_key, event_id=job.event_id, index=job.start + offset, url=url)
            for offset, url in enumerate(job.urls)
        ]
        return MediaQueued(self.ingestor.queue.send(fetches))

    def _store(self, job: StoreJob) -> Stored | Quarantined:
        try:
            return self.ingestor.store_one(job.postback, job.received_at, job.raw)
        except StorageRefused as refusal:
            alone = job.envelope_head + (job.raw or b"") + job.envelope_tail
            return self._keep(alone, job.content_type, job.request_id, job, refusal)

    def _keep(
        self, alone: bytes, content_type: str | None, request_id: str, job: BundleJob | StoreJob, refusal: Exception
    ) -> Quarantined:
        """Refused for good (too large, invalid): kept for replay as if posted alone, and the job is done."""
        headers = {"content-type": content_type} if content_type else {}
        request = IngestRequest(alone, headers, request_id, job.received_at)
        kept = self.ingestor.refuse(alone, request, job.received_at, str(refusal))
        if kept.outcome is not Outcome.REJECTED:
            raise StorageUnavailable("quarantine unavailable: the refused bundle item is retried") from refusal
        return Quarantined(kept.kept_at, str(refusal))

    def _fetch(self, job: FetchJob, deadline: Deadline | None) -> media.ArchivedFile:
        object_key = keys.media_object_key(job.message_key, job.event_id, job.index)
        archived = media.archive(
            job.url, bucket=self.bucket, key=object_key, limits=self.limits, s3=aws.s3(), deadline=deadline
        )
        # Permanent outcomes (archived, too large, refused, not found) are recorded and not retried.
        record = {name: value for name, value in asdict(archived).items() if value not in (None, "")}
        record["state"] = archived.state.value
        record["recorded_at"] = timestamps.utc_now_iso()
        if archived.s3_uri:
            record |= {"s3_bucket": self.bucket, "s3_key": object_key}
        self.store.record_media(job.message_key, job.event_id, job.index, record)
        return archived


def worker_from_settings(settings: WorkerSettings) -> Worker:
    ingestor = ingestor_from_settings(settings)
    return Worker(
        ingestor=ingestor,
        store=ingestor.store,
        bucket=settings.bucket_name,
        limits=media.FetchLimits(
            max_bytes=settings.media_max_bytes,
            connect_timeout=settings.media_connect_timeout,
            read_timeout=settings.media_read_timeout,
            max_redirects=settings.media_max_redirects,
            allow_loopback=settings.media_allow_loopback,
        ),
    )
