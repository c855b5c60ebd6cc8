"""Queue jobs: store one bundled notification, or archive one MMS MO file into S3."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from postbacks.domain import timestamps
from postbacks.domain.jobs import FetchJob, StoreJob, parse_job
from postbacks.outbound.deadline import Deadline
from postbacks.service.ingest import Ingestor, IngestRequest, Outcome, Stored, ingestor_from_settings
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
class Worker:
    ingestor: Ingestor
    store: PostbackStore
    bucket: str
    limits: media.FetchLimits

    def handle(self, body: str, deadline: Deadline | None = None) -> Stored | Quarantined | media.ArchivedFile:
        """Raises on anything worth retrying (SQS redelivers it, then parks it in the DLQ); a media fetch
        gives up when `deadline` passes."""
        job = parse_job(body)
        if isinstance(job, StoreJob):
            return self._store(job)
        return self._fetch(job, deadline)

    def _store(self, job: StoreJob) -> Stored | Quarantined:
        try:
            return self.ingestor.store_one(job.postback, job.received_at, job.raw)
        except StorageRefused as refusal:
            # Refused for good (too large, invalid): kept for replay as if posted alone, and the job is done.
            alone = job.envelope_head + (job.raw or b"") + job.envelope_tail
            headers = {"content-type": job.content_type} if job.content_type else {}
            request = IngestRequest(alone, headers, job.request_id, job.received_at)
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
