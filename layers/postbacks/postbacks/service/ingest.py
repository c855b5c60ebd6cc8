"""Ingest one postback request: decode, parse, store (or queue), and keep what cannot be stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from postbacks.domain import decoding, parsing, timestamps
from postbacks.domain.codes import Kind
from postbacks.domain.errors import PostbackRejected, Reason
from postbacks.domain.jobs import FetchJob, StoreJob
from postbacks.domain.models import Postback
from postbacks.service.settings import Settings
from postbacks.storage import fragments
from postbacks.storage.quarantine import UNSTORED_REASON, KeptBody, Quarantine, QuarantineUnavailable
from postbacks.storage.queue import JobQueue
from postbacks.storage.store import PostbackStore, StorageRefused, StorageUnavailable


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class IngestRequest:
    """What was posted: the body's bytes and the request's headers (names lower-cased)."""

    body: bytes
    headers: Mapping[str, str]
    request_id: str
    received_at: str | None = None  # set when replaying a kept body; otherwise now

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


@dataclass(frozen=True, slots=True)
class Stored:
    message_key: str
    code: str
    new: bool


@dataclass(frozen=True, slots=True)
class IngestResult:
    outcome: Outcome
    stored: tuple[Stored, ...] = ()
    queued: int = 0
    rejection: PostbackRejected | None = None
    kept_at: str | None = None
    codes: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Ingestor:
    store: PostbackStore
    queue: JobQueue
    quarantine: Quarantine
    max_body_bytes: int

    def ingest(self, request: IngestRequest) -> IngestResult:
        received_at = request.received_at or timestamps.utc_now_iso()
        try:
            raw = decoding.checked_body(request.body, self.max_body_bytes)
        except PostbackRejected as rejection:
            # Too large, empty or undecodable: there is nothing (or too much) to keep.
            return IngestResult(Outcome.REJECTED, rejection=rejection)
        try:
            data, parsed = _parse(raw, request.content_type)
        except PostbackRejected as rejection:
            return self._refuse(raw, request, received_at, rejection)
        codes = tuple(postback.code for postback in parsed.postbacks)
        try:
            if parsed.bundled:
                jobs = _bundle_jobs(data, parsed, request, received_at)
                return IngestResult(Outcome.ACCEPTED, queued=self.queue.send(jobs), codes=codes)
            stored = tuple(self.store_one(postback, received_at, raw) for postback in parsed.postbacks)
        except StorageRefused as refusal:
            return self.refuse(raw, request, received_at, str(refusal))
        except StorageUnavailable:
            kept = self._keep_unstored(raw, request, received_at)
            return IngestResult(Outcome.UNAVAILABLE, kept_at=kept, codes=codes)
        return IngestResult(Outcome.ACCEPTED, stored=stored, codes=codes)

    def store_one(self, postback: Postback, received_at: str, raw: bytes | None) -> Stored:
        """Store one postback with its bytes and queue its media; shared by the API and the queue worker."""
        result = self.store.save(postback, received_at, raw)
        if postback.kind is Kind.MMS_MO and postback.content:
            # Queued on redelivery too: fetching is idempotent, and the first attempt may have been lost.
            self.queue.send(
                [
                    FetchJob(message_key=result.message_key, event_id=result.event_id, index=index, url=url)
                    for index, url in enumerate(postback.content)
                ]
            )
        return Stored(result.message_key, postback.code, result.new)

    def refuse(self, raw: bytes, request: IngestRequest, received_at: str, detail: str) -> IngestResult:
        """Quarantine a postback the store refused for good, exactly as the API does (REJECTED once kept)."""
        rejection = PostbackRejected(Reason.INVALID_POSTBACK, f"Storage refused the postback: {detail}")
        return self._refuse(raw, request, received_at, rejection)

    def _refuse(
        self, raw: bytes, request: IngestRequest, received_at: str, rejection: PostbackRejected
    ) -> IngestResult:
        kept = KeptBody(rejection.reason, rejection.detail, request.content_type, request.request_id, received_at)
        try:
            kept_at = self.quarantine.keep_rejected(raw, kept)
        except QuarantineUnavailable:
            # A refusal is final for the sender; without a kept copy the body would be lost, so ask for a retry.
            return IngestResult(Outcome.UNAVAILABLE, rejection=rejection)
        return IngestResult(Outcome.REJECTED, rejection=rejection, kept_at=kept_at)

    def _keep_unstored(self, raw: bytes, request: IngestRequest, received_at: str) -> str | None:
        kept = KeptBody(UNSTORED_REASON, "", request.content_type, request.request_id, received_at)
        try:
            return self.quarantine.keep_unstored(raw, kept)
        except QuarantineUnavailable:
            return None


def _parse(raw: bytes, content_type: str | None) -> tuple[bytes, parsing.ParsedBody]:
    """The payload's bytes (the XML inside an `xml=` field, say) and what the parser made of them."""
    try:
        payload = decoding.payload(raw, content_type)
        return payload.data, parsing.parse(payload)
    except PostbackRejected:
        raise
    except Exception as error:
        raise PostbackRejected(Reason.UNPARSEABLE, f"The body could not be parsed ({type(error).__name__}).") from error


def _bundle_jobs(data: bytes, parsed: parsing.ParsedBody, request: IngestRequest, received_at: str) -> list[StoreJob]:
    """One job per notification, each carrying its own fragment of the bundle's bytes."""
    bundle = fragments.split(data)
    if bundle is None or len(bundle.notifications) != len(parsed.postbacks):
        # Never expected (the parser just read these bytes): keep the whole bundle with each item.
        bundle = fragments.Bundle(b"", b"", (data,) * len(parsed.postbacks))
    return [
        StoreJob(
            postback=postback,
            received_at=received_at,
            raw=fragment,
            envelope_head=bundle.head,
            envelope_tail=bundle.tail,
            content_type=request.content_type,
            request_id=f"{request.request_id}-{position:03d}",
        )
        for position, (postback, fragment) in enumerate(zip(parsed.postbacks, bundle.notifications, strict=True))
    ]


def ingestor_from_settings(settings: Settings) -> Ingestor:
    return Ingestor(
        store=PostbackStore(settings.table_name, settings.retention_days),
        queue=JobQueue(settings.queue_url),
        quarantine=Quarantine(settings.bucket_name),
        max_body_bytes=settings.max_body_bytes,
    )
