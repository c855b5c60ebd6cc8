"""Work handed from the ingest function to the queue worker: one SQS message, one job."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from postbacks.domain.models import MAX_LIST_ITEMS, MAX_TEXT, Postback


class BundleJob(BaseModel):
    """A bundle validated at the edge, handed over once: the worker splits it and stores items [start, stop)."""

    # The body travels as base64 inside the job's JSON: it need not be UTF-8.
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")
    job: Literal["bundle"] = "bundle"
    received_at: str
    request_id: str
    content_type: str | None = None
    body: bytes | None = None  # the request's body as posted, when the message can carry it
    bundle_key: str | None = None  # otherwise the S3 object holding it (storage/bundles.py)
    start: int = Field(default=0, ge=0)
    stop: int = Field(ge=1)


class MediaJob(BaseModel):
    """An MMS MO's files, queued once with the postback; the worker fans them out into fetch jobs."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    job: Literal["media"] = "media"
    message_key: str = Field(min_length=1, max_length=1024)
    event_id: str = Field(min_length=1, max_length=64)
    start: int = Field(default=0, ge=0, lt=MAX_LIST_ITEMS)  # the index of urls[0] in the postback's content
    urls: list[Annotated[str, Field(max_length=MAX_TEXT)]] = Field(min_length=1, max_length=MAX_LIST_ITEMS)


class StoreJob(BaseModel):
    """One notification of a bundle, already validated at the edge, with the bytes it arrived in.

    No longer queued (a bundle goes as one BundleJob); still read, for jobs queued before that change."""

    # Raw bytes travel as base64 inside the job's JSON: they need not be UTF-8.
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")
    job: Literal["store"] = "store"
    postback: Postback
    received_at: str
    raw: bytes | None = None  # its own <NOTIFICATION> fragment of the bundle
    # The bundle's envelope around the fragment: what the notification would have been posted alone,
    # kept for replay if the store refuses it for good.
    envelope_head: bytes = b""
    envelope_tail: bytes = b""
    content_type: str | None = None
    request_id: str = ""


class FetchJob(BaseModel):
    """One MMS MO file to archive."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    job: Literal["fetch"] = "fetch"
    message_key: str = Field(min_length=1, max_length=1024)
    event_id: str = Field(min_length=1, max_length=64)  # the MO postback's fingerprint: media per postback
    index: int = Field(ge=0, lt=MAX_LIST_ITEMS)
    url: str = Field(max_length=MAX_TEXT)


type AnyJob = BundleJob | MediaJob | StoreJob | FetchJob
Job = Annotated[BundleJob | MediaJob | StoreJob | FetchJob, Field(discriminator="job")]
JOB_ADAPTER: TypeAdapter[AnyJob] = TypeAdapter(Job)


def parse_job(body: str) -> AnyJob:
    return JOB_ADAPTER.validate_json(body)


def dump_job(job: AnyJob) -> str:
    return job.model_dump_json(by_alias=True, exclude_none=True)
