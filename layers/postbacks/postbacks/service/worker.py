"""Queue jobs: store one bundled notification, or archive one MMS MO file into S3."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from postbacks.domain import timestamps
from postbacks.domain.jobs import FetchJob, StoreJob, parse_job
from postbacks.outbound.deadline import Deadline
from postbacks.service.ingest import Ingestor, Stored, ingestor_from_settings
from postbacks.service.settings import Settings
from postbacks.storage import aws, keys, media
from postbacks.storage.store import PostbackStore


@dataclass(frozen=True, slots=True)
class Worker:
    ingestor: Ingestor
    store: PostbackStore
    bucket: str
    limits: media.FetchLimits

    def handle(self, body: str, deadline: Deadline | None = None) -> Stored | media.ArchivedFile:
        """Raises on anything worth retrying (SQS redelivers it, then parks it in the DLQ); a media fetch
        gives up when `deadline` passes."""
        job = parse_job(body)
        if isinstance(job, StoreJob):
            return self.ingestor.store_one(job.postback, job.received_at)
        return self._fetch(job, deadline)

    def _fetch(self, job: FetchJob, deadline: Deadline | None) -> media.ArchivedFile:
        archived = media.archive(
            job.url,
            bucket=self.bucket,
            key=keys.media_object_key(job.message_key, job.index),
            limits=self.limits,
            s3=aws.s3(),
            deadline=deadline,
        )
        # Permanent outcomes (archived, too large, refused, not found) are recorded and not retried.
        record = {name: value for name, value in asdict(archived).items() if value not in (None, "")}
        record["state"] = archived.state.value
        record["recorded_at"] = timestamps.utc_now_iso()
        self.store.record_content(job.message_key, job.index, record)
        return archived


def worker_from_settings(settings: Settings) -> Worker:
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
