"""S3: raw bodies we could not store, kept byte for byte so they can be replayed after a fix."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError

from postbacks.domain import timestamps
from postbacks.storage import aws, kept_metadata
from postbacks.storage.kept_metadata import SIDECAR_SUFFIX
from postbacks.storage.kept_metadata import KeptBody as KeptBody  # re-exported: callers build it from here

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REJECTED_PREFIX = "quarantine/"
UNSTORED_PREFIX = "unstored/"
# The reason recorded for bodies kept under unstored/ (see Ingestor._keep_unstored).
UNSTORED_REASON = "storage_unavailable"


class QuarantineUnavailable(Exception):
    pass


class KeptBodyNotFound(Exception):
    """No kept body under that key (already replayed, or never kept)."""


@dataclass(frozen=True, slots=True)
class KeptObject:
    """One kept body as a listing shows it, without reading it."""

    key: str
    reason: str
    size: int
    stored_at: str  # when S3 got it, UTC ISO 8601


def reason_of(key: str) -> str:
    """`quarantine/<reason>/...` gives the reason; `unstored/...` the storage outage."""
    if key.startswith(UNSTORED_PREFIX):
        return UNSTORED_REASON
    return key.removeprefix(REJECTED_PREFIX).split("/", 1)[0]


def prefixes_for(reason: str | None) -> tuple[str, ...]:
    if reason is None:
        return (REJECTED_PREFIX, UNSTORED_PREFIX)
    if reason in (UNSTORED_REASON, UNSTORED_PREFIX.rstrip("/")):
        return (UNSTORED_PREFIX,)
    return (f"{REJECTED_PREFIX}{reason}/",)


def is_kept_key(key: str) -> bool:
    # Anything else in the bucket (media/, a body's sidecar) is never read or deleted as a kept body.
    return key.startswith((REJECTED_PREFIX, UNSTORED_PREFIX)) and not key.endswith(("/", SIDECAR_SUFFIX))


class Quarantine:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self._bucket = bucket
        self._client = client

    @property
    def client(self) -> S3Client:
        return self._client or aws.s3()

    def keep_rejected(self, raw: bytes, kept: KeptBody) -> str:
        """A body we refused (4xx): kept under its reason."""
        return self._put(f"{REJECTED_PREFIX}{kept.reason}/", raw, kept)

    def keep_unstored(self, raw: bytes, kept: KeptBody) -> str:
        """A valid body we could not store (DynamoDB down): the sender retries, and this copy is a backstop."""
        return self._put(UNSTORED_PREFIX, raw, kept)

    # --- reads, for the operator's replay ----------------------------------------------------------

    def uri(self, key: str) -> str:
        return f"s3://{self._bucket}/{key}"

    def list_kept(self, reason: str | None = None) -> Iterator[KeptObject]:
        """Kept bodies, oldest day first (keys carry the date), under one reason or all of them."""
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for prefix in prefixes_for(reason):
                for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                    for item in page.get("Contents", []):
                        key = item["Key"]
                        if is_kept_key(key):
                            stored_at = timestamps.to_utc_iso(item["LastModified"])
                            yield KeptObject(key, reason_of(key), item["Size"], stored_at)
        except (ClientError, BotoCoreError) as error:
            raise QuarantineUnavailable(str(error)) from error

    def describe_kept(self, key: str) -> KeptBody:
        """What was recorded beside a kept body (one HEAD request, the body is not read)."""
        try:
            answer = self.client.head_object(Bucket=self._bucket, Key=self._checked(key))
        except (ClientError, BotoCoreError) as error:
            raise _read_error(error, key) from error
        return self._kept_body(key, answer.get("Metadata", {}))

    def read_kept(self, key: str) -> tuple[bytes, KeptBody]:
        """A kept body, byte for byte, and what was recorded beside it."""
        try:
            answer = self.client.get_object(Bucket=self._bucket, Key=self._checked(key))
            raw = answer["Body"].read()
        except (ClientError, BotoCoreError) as error:
            raise _read_error(error, key) from error
        return raw, self._kept_body(key, answer.get("Metadata", {}))

    def delete_kept(self, key: str, kept: KeptBody | None = None) -> None:
        """Remove a kept body once it is stored, and its sidecar when `kept` (as read) has one; the bucket's
        versioning keeps the old versions a while."""
        keys = [self._checked(key)] + ([key + SIDECAR_SUFFIX] if kept is not None and kept.cut else [])
        try:
            for each in keys:
                self.client.delete_object(Bucket=self._bucket, Key=each)
        except (ClientError, BotoCoreError) as error:
            raise QuarantineUnavailable(str(error)) from error

    @staticmethod
    def _checked(key: str) -> str:
        if not is_kept_key(key):
            raise KeptBodyNotFound(f"{key} is not under {REJECTED_PREFIX} or {UNSTORED_PREFIX}")
        return key

    def _put(self, prefix: str, raw: bytes, kept: KeptBody) -> str:
        day = datetime.now(UTC).strftime("%Y/%m/%d")
        key = f"{prefix}{day}/{kept_metadata.object_name(kept.request_id)}"
        fitted = kept_metadata.fit(kept)
        try:
            if fitted.full is not None:
                # Written first: a body whose metadata says "cut" always has its sidecar.
                self.client.put_object(
                    Bucket=self._bucket,
                    Key=key + SIDECAR_SUFFIX,
                    Body=kept_metadata.sidecar_body(fitted.full),
                    ContentType="application/json",
                )
            self.client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=raw,
                ContentType="application/octet-stream",
                Metadata=fitted.metadata,
            )
        except (ClientError, BotoCoreError) as error:
            raise QuarantineUnavailable(str(error)) from error
        return self.uri(key)

    def _kept_body(self, key: str, metadata: dict[str, str]) -> KeptBody:
        sidecar = None
        if metadata.get("cut"):
            try:
                sidecar = self.client.get_object(Bucket=self._bucket, Key=key + SIDECAR_SUFFIX)["Body"].read()
            except (ClientError, BotoCoreError) as error:
                raise _read_error(error, key + SIDECAR_SUFFIX) from error
        request_id = unquote(key.rsplit("/", 1)[-1])
        return kept_metadata.kept_body(request_id, metadata, sidecar, reason_of(key))


def _read_error(error: ClientError | BotoCoreError, key: str) -> Exception:
    if isinstance(error, ClientError) and aws.is_not_found(error):
        return KeptBodyNotFound(f"no kept body at {key}")
    return QuarantineUnavailable(str(error))
