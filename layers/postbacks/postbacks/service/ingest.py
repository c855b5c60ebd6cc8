"""Ingest one postback request: decode, parse, store (or queue), and keep what cannot be stored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from postbacks.domain import decoding, parsing, timestamps
from postbacks.domain.codes import Kind
from postbacks.domain.errors import PostbackRejected, Reason
from postbacks.domain.fields import WRAPPER_PREFIX
from postbacks.domain.jobs import BundleJob, MediaJob, dump_job
from postbacks.domain.models import Postback
from postbacks.service.settings import Settings
from postbacks.storage import fragments
from postbacks.storage.bundles import BundleBodies
from postbacks.storage.quarantine import UNSTORED_REASON, KeptBody, Quarantine, QuarantineUnavailable
from postbacks.storage.queue import MAX_MESSAGE_BYTES, JobQueue
from postbacks.storage.store import PostbackStore, StorageRefused, StorageUnavailable

# Items one bundle job stores: the worker's share of its 60 s for one record of a batch of ten. With at most
# 1,000 notifications a bundle is at most ten jobs: one SendMessageBatch, whatever its size.
BUNDLE_CHUNK = 100
# URLs' JSON per media job: one job for any real MO, a few for one whose body is all URLs; below SQS's 1 MiB.
MEDIA_JOB_BYTES = 512_000


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
    bundles: BundleBodies

    def ingest(self, request: IngestRequest) -> IngestResult:
        received_at = request.received_at or timestamps.utc_now_iso()
        try:
            raw = decoding.checked_body(request.body, self.max_body_bytes)
        except PostbackRejected as rejection:
            # Too large, empty or undecodable: there is nothing (or too much) to keep.
            return IngestResult(Outcome.REJECTED, rejection=rejection)
        try:
            payload, parsed = parse_body(raw, request.content_type)
            if parsed.bundled:
                split_exactly(payload, parsed, request.content_type)
        except PostbackRejected as rejection:
            return self._refuse(raw, request, received_at, rejection)
        codes = tuple(postback.code for postback in parsed.postbacks)
        try:
            if parsed.bundled:
                queued = self._hand_over(request, received_at, len(parsed.postbacks))
                return IngestResult(Outcome.ACCEPTED, queued=queued, codes=codes)
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
            # Jobs in proportion to the URLs' bytes, not their number: the worker fans them out into fetches.
            self.queue.send(
                [
                    MediaJob(message_key=result.message_key, event_id=result.event_id, start=start, urls=urls)
                    for start, urls in _packed(postback.content, MEDIA_JOB_BYTES)
                ]
            )
        return Stored(result.message_key, postback.code, result.new)

    def _hand_over(self, request: IngestRequest, received_at: str, count: int) -> int:
        """The bundle to the worker in one SQS call, or one S3 put and one SQS call: never one per item."""
        job = BundleJob(
            received_at=received_at,
            request_id=request.request_id,
            content_type=request.content_type,
            body=request.body,
            stop=count,
        )
        if count <= BUNDLE_CHUNK and len(dump_job(job)) <= MAX_MESSAGE_BYTES:
            self.queue.send([job])
            return count
        key = self.bundles.put(request.request_id, request.body)
        chunks = range(0, count, BUNDLE_CHUNK)
        moved = [
            job.model_copy(update={"body": None, "bundle_key": key, "start": a, "stop": min(a + BUNDLE_CHUNK, count)})
            for a in chunks
        ]
        self.queue.send(moved)
        return count

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


def _packed(urls: list[str], budget: int) -> list[tuple[int, list[str]]]:
    """`urls` in order, in runs whose JSON stays within `budget` bytes, each with its first index."""
    runs: list[tuple[int, list[str]]] = []
    size = budget
    for index, url in enumerate(urls):
        length = len(json.dumps(url)) + 1
        if size + length > budget:
            runs.append((index, []))
            size = 0
        runs[-1][1].append(url)
        size += length
    return runs


def parse_body(raw: bytes, content_type: str | None) -> tuple[decoding.Payload, parsing.ParsedBody]:
    """The payload (the XML inside an `xml=` field, say) and what the parser made of it."""
    try:
        payload = decoding.payload(raw, content_type)
        return payload, parsing.parse(payload)
    except PostbackRejected:
        raise
    except Exception as error:
        raise PostbackRejected(Reason.UNPARSEABLE, f"The body could not be parsed ({type(error).__name__}).") from error


def split_exactly(payload: decoding.Payload, parsed: parsing.ParsedBody, content_type: str | None) -> fragments.Bundle:
    """Each notification's own bytes; refused when they cannot be cut so that each, posted alone in its
    envelope, reads as the same postback (checked on the first, which carries the context, and the last)."""
    bundle = fragments.split(payload)
    if bundle is None or len(bundle.spans) != len(parsed.postbacks):
        raise PostbackRejected(Reason.UNSPLITTABLE_BUNDLE, "The bundle's notifications cannot be cut out exactly.")
    for index in sorted({0, len(bundle.spans) - 1}):
        try:
            _, alone = parse_body(bundle.standalone(index), content_type)
        except PostbackRejected:
            alone = None
        if alone is None or len(alone.postbacks) != 1 or not same(alone.postbacks[0], parsed.postbacks[index]):
            raise PostbackRejected(
                Reason.UNSPLITTABLE_BUNDLE,
                f"Notification {index + 1} does not read the same once cut out of the bundle.",
            )
    return bundle


def same(alone: Postback, item: Postback) -> bool:
    """The same postback, leaving out the form fields around an `xml` field (kept with the bundle's first item)."""

    def fields(postback: Postback) -> dict[str, object]:
        canonical = postback.canonical()
        extra = {k: v for k, v in canonical.pop("extra", {}).items() if not k.startswith(WRAPPER_PREFIX)}
        return {**canonical, "extra": extra}

    return fields(alone) == fields(item)


def ingestor_from_settings(settings: Settings) -> Ingestor:
    return Ingestor(
        store=PostbackStore(settings.table_name, settings.retention_days),
        queue=JobQueue(settings.queue_url),
        quarantine=Quarantine(settings.bucket_name),
        max_body_bytes=settings.max_body_bytes,
        bundles=BundleBodies(settings.bucket_name),
    )
