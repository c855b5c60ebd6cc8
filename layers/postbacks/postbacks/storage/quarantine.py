"""S3: raw bodies we could not store, kept byte for byte so they can be replayed after a fix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from postbacks.storage import aws

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REJECTED_PREFIX = "quarantine/"
UNSTORED_PREFIX = "unstored/"


class QuarantineUnavailable(Exception):
    pass


@dataclass(frozen=True, slots=True)
class KeptBody:
    reason: str
    detail: str
    content_type: str | None
    request_id: str
    received_at: str


class Quarantine:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self._bucket = bucket
        self._client = client

    def keep_rejected(self, raw: bytes, kept: KeptBody) -> str:
        """A body we refused (4xx): kept under its reason."""
        return self._put(f"{REJECTED_PREFIX}{kept.reason}/", raw, kept)

    def keep_unstored(self, raw: bytes, kept: KeptBody) -> str:
        """A valid body we could not store (DynamoDB down): the sender retries, and this copy is a backstop."""
        return self._put(UNSTORED_PREFIX, raw, kept)

    def _put(self, prefix: str, raw: bytes, kept: KeptBody) -> str:
        day = datetime.now(UTC).strftime("%Y/%m/%d")
        key = f"{prefix}{day}/{quote(kept.request_id, safe='')}"
        client = self._client or aws.s3()
        try:
            client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=raw,
                ContentType="application/octet-stream",
                # S3 metadata is ASCII only: the detail is percent-encoded.
                Metadata={
                    "reason": kept.reason,
                    "detail": quote(kept.detail[:1024], safe=" :,.()/-_'"),
                    "content-type": quote(kept.content_type or "", safe="/;=+ -."),
                    "received-at": kept.received_at,
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise QuarantineUnavailable(str(error)) from error
        return f"s3://{self._bucket}/{key}"
