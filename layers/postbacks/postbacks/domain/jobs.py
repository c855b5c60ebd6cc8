"""Work handed from the ingest function to the queue worker: one SQS message, one job."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from postbacks.domain.models import Postback


class StoreJob(BaseModel):
    """One notification of a bundle, already validated at the edge, with the bytes it arrived in."""

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
    index: int = Field(ge=0, lt=1000)
    url: str = Field(max_length=4096)


Job = Annotated[StoreJob | FetchJob, Field(discriminator="job")]
JOB_ADAPTER: TypeAdapter[StoreJob | FetchJob] = TypeAdapter(Job)


def parse_job(body: str) -> StoreJob | FetchJob:
    return JOB_ADAPTER.validate_json(body)


def dump_job(job: StoreJob | FetchJob) -> str:
    return job.model_dump_json(by_alias=True, exclude_none=True)
