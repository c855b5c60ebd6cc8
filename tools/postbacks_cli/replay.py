"""`rejected` and `replay`: the bodies kept in S3 (`quarantine/<reason>/...`, `unstored/...`), and running
them again through the current parser and store.

A replay is the ingest function's own path (`Ingestor.ingest`), so a body is stored exactly as if the
sender had posted it now. A stored body's kept copy is deleted (the bucket's versioning keeps the old
version for 30 days); one still refused stays where it is, and its new reason is printed. Replaying
twice adds nothing: the store's writes are conditional on the postback's fingerprint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from itertools import islice
from typing import Any

from postbacks.service.ingest import Ingestor, IngestRequest, IngestResult, Outcome, ingestor_from_settings
from postbacks.service.settings import Settings
from postbacks.storage.quarantine import (
    KeptBody,
    KeptBodyNotFound,
    Quarantine,
    QuarantineUnavailable,
)
from postbacks_cli import output
from postbacks_cli.output import Exit, Progress, StreamingTable
from postbacks_cli.targets import Target, TargetError


class Result(StrEnum):
    REPLAYED = "replayed"
    STILL_REJECTED = "still_rejected"
    NOT_DELETED = "not_deleted"  # stored, but the kept copy is still there
    UNAVAILABLE = "unavailable"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class Replayed:
    key: str
    result: Result
    reason: str = ""
    detail: str = ""
    stored: tuple[dict[str, Any], ...] = field(default=())
    queued: int = 0

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"key": self.key, "result": self.result.value}
        if self.reason:
            document["reason"] = self.reason
        if self.detail:
            document["detail"] = self.detail
        if self.stored:
            document["stored"] = list(self.stored)
        if self.queued:
            document["queued"] = self.queued
        return document

    def line(self) -> str:
        what = {
            Result.REPLAYED: self._stored_text(),
            Result.STILL_REJECTED: f"{self.reason}: {self.detail}",
            Result.NOT_DELETED: f"{self._stored_text()}; {self.detail}",
            Result.UNAVAILABLE: f"storage unavailable, kept ({self.detail})",
            Result.NOT_FOUND: "no kept body with that key",
        }[self.result]
        return f"{self.result.value.replace('_', ' '):<15} {output.visible(self.key)}  {output.visible(what)}"

    def _stored_text(self) -> str:
        parts = [
            f"stored {item['message_key']} ({item['code']}){'' if item['new'] else ', already stored'}"
            for item in self.stored
        ]
        if self.queued:
            parts.append(f"queued {self.queued} bundle item(s) for the worker")
        return "; ".join(parts)


class _AlreadyKept(Quarantine):
    """During a replay the body is already kept: keeping it again means leaving it where it is."""

    def __init__(self, uri: str) -> None:
        super().__init__(bucket="")
        self._uri = uri

    def keep_rejected(self, raw: bytes, kept: KeptBody) -> str:
        return self._uri

    def keep_unstored(self, raw: bytes, kept: KeptBody) -> str:
        return self._uri


def ingestor_for(target: Target) -> Ingestor:
    # A replayed body was accepted once within the largest cap the settings allow; retention is not the CLI's to know.
    settings = Settings(
        table_name=target.table(),
        bucket_name=target.bucket(),
        queue_url=target.queue(),
        retention_days=0,
        max_body_bytes=1_048_576,
    )
    return ingestor_from_settings(settings)


# --- rejected ----------------------------------------------------------------------------------------


def list_rejected(quarantine: Quarantine, reason: str | None, limit: int | None, detail: bool, as_json: bool) -> int:
    rows = StreamingTable(("STORED AT", "REASON", "SIZE", "KEY", *(("DETAIL",) if detail else ())))
    count = 0
    for kept in islice(quarantine.list_kept(reason), limit):
        count += 1
        described = quarantine.describe_kept(kept.key) if detail else None
        if as_json:
            document: dict[str, Any] = {
                "key": kept.key,
                "uri": quarantine.uri(kept.key),
                "reason": kept.reason,
                "size": kept.size,
                "stored_at": kept.stored_at,
            }
            if described is not None:
                document |= {
                    "detail": described.detail,
                    "content_type": described.content_type,
                    "received_at": described.received_at,
                }
            output.json_line(document)
            continue
        row: list[Any] = [kept.stored_at, kept.reason, output.human_size(kept.size), kept.key]
        if described is not None:
            row.append(described.detail)
        rows.row(row)
    rows.close()
    if not count and not as_json:
        print("no kept bodies" + (f" with reason {reason}" if reason else ""))
    return Exit.OK


# --- replay ------------------------------------------------------------------------------------------


def replay(ingestor: Ingestor, bucket: str, keys: Sequence[str], reason: str | None, as_json: bool) -> int:
    quarantine = ingestor.quarantine
    chosen = [normalise_key(key, bucket) for key in keys] if keys else [k.key for k in quarantine.list_kept(reason)]
    if not chosen:
        if not as_json:
            print("nothing to replay" + (f" with reason {reason}" if reason else ""))
        return Exit.OK
    results: list[Replayed] = []
    with Progress("replay", total=len(chosen)) as progress:
        for key in chosen:
            result = replay_one(quarantine, ingestor, key)
            results.append(result)
            progress.clear()
            if as_json:
                output.json_line(result.as_json())
            else:
                print(result.line(), flush=True)
            progress.advance()
    counts = {kind: sum(1 for result in results if result.result is kind) for kind in Result}
    if not as_json:
        unavailable = counts[Result.UNAVAILABLE] + counts[Result.NOT_DELETED]
        print(
            f"{output.plural(len(results), 'body', 'bodies')}: {counts[Result.REPLAYED]} replayed,"
            f" {counts[Result.STILL_REJECTED]} still rejected, {unavailable} unavailable,"
            f" {counts[Result.NOT_FOUND]} not found"
        )
    if counts[Result.STILL_REJECTED] or counts[Result.UNAVAILABLE] or counts[Result.NOT_DELETED]:
        return Exit.FAILED
    return Exit.NOT_FOUND if counts[Result.NOT_FOUND] else Exit.OK


def replay_one(quarantine: Quarantine, ingestor: Ingestor, key: str) -> Replayed:
    try:
        raw, kept = quarantine.read_kept(key)
    except KeptBodyNotFound:
        return Replayed(key, Result.NOT_FOUND)
    uri = quarantine.uri(key)
    outcome = replace(ingestor, quarantine=_AlreadyKept(uri)).ingest(_request(raw, kept))
    if outcome.outcome is Outcome.ACCEPTED:
        stored, queued = _stored(outcome), outcome.queued
        # Deleted only once stored: a failure in between leaves the body, and a second replay adds nothing.
        try:
            quarantine.delete_kept(key, kept)
        except QuarantineUnavailable as error:
            detail = f"the kept copy could not be deleted ({error}): replay it again to retry"
            return Replayed(key, Result.NOT_DELETED, detail=detail, stored=stored, queued=queued)
        return Replayed(key, Result.REPLAYED, stored=stored, queued=queued)
    if outcome.outcome is Outcome.REJECTED and outcome.rejection is not None:
        return Replayed(key, Result.STILL_REJECTED, outcome.rejection.reason.value, outcome.rejection.detail)
    return Replayed(key, Result.UNAVAILABLE, detail="DynamoDB or SQS did not take it; replay again later")


def normalise_key(key: str, bucket: str) -> str:
    """A key as `rejected` prints it, or the `s3://bucket/key` URI the ingest function logs."""
    if key.startswith("s3://"):
        named_bucket, _, rest = key.removeprefix("s3://").partition("/")
        if named_bucket != bucket:
            raise TargetError(f"{key} is not in this target's bucket {bucket}")
        return rest
    return key


def _request(raw: bytes, kept: KeptBody) -> IngestRequest:
    """The kept bytes, posted again with the Content-Type they came with."""
    return IngestRequest(
        body=raw,
        headers={"content-type": kept.content_type} if kept.content_type else {},
        request_id=f"replay-{kept.request_id}",
        # The time the sender first posted it, not the time of the replay.
        received_at=kept.received_at or None,
    )


def _stored(result: IngestResult) -> tuple[dict[str, Any], ...]:
    return tuple({"message_key": item.message_key, "code": item.code, "new": item.new} for item in result.stored)
