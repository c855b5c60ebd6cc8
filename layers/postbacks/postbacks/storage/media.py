"""Archive one MMS MO file: fetched by the safe outbound client, streamed into S3 under the key it is given."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from postbacks.outbound.address_policy import parse_target, quote_url
from postbacks.outbound.deadline import Deadline
from postbacks.outbound.fetch import Body, FetchLimits, open_url
from postbacks.outbound.outcomes import DeadlineExceeded, FinalFetchError, TransientFetchError
from postbacks.storage import aws

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["ArchivedFile", "DeadlineExceeded", "FetchLimits", "FileState", "TransientFetchError", "archive"]

# S3 wants parts of 5 MiB or more (except the last); a file that fits in one is a single PutObject.
PART_SIZE: Final = 8 * 1024 * 1024
_DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"
# A header value S3 accepts and a reader can trust: printable ASCII, bounded.
_CONTENT_TYPE_RE: Final = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,199}")
# S3 caps user metadata at 2 KB in all; a longer URL is remembered by its digest instead.
_MAX_METADATA_URL: Final = 1024
# S3's hard limits, checked before any call so that none becomes a retry that can only fail again: keys of at
# most 1,024 bytes, and CopyObject (which sets the metadata after a multipart upload) copies at most 5 GiB.
MAX_KEY_BYTES: Final = 1024
MAX_OBJECT_BYTES: Final = 5 * 1024**3


class FileState(StrEnum):
    ARCHIVED = "archived"
    TOO_LARGE = "too_large"
    NOT_FOUND = "not_found"
    REFUSED = "refused"
    FAILED = "failed"  # permanent: another 4xx, too many redirects, an unverified certificate, a malformed answer


@dataclass(frozen=True, slots=True)
class ArchivedFile:
    state: FileState
    url: str
    detail: str = ""
    s3_uri: str | None = None
    content_type: str | None = None
    size: int | None = None
    sha256: str | None = None


def archive(
    url: str, *, bucket: str, key: str, limits: FetchLimits, s3: S3Client, deadline: Deadline | None = None
) -> ArchivedFile:
    """Fetch `url` into s3://bucket/key. A retry of the same url and key finds the object and stops there.

    Raises TransientFetchError (DeadlineExceeded when `deadline` passes first) for what a retry may fix.
    """
    refusal = parse_target(url)
    if isinstance(refusal, str):
        return ArchivedFile(FileState.REFUSED, url, detail=refusal)
    if len(key.encode()) > MAX_KEY_BYTES:
        return ArchivedFile(
            FileState.FAILED, url, detail=f"S3 key of {len(key.encode())} bytes: S3 takes {MAX_KEY_BYTES}"
        )
    done = _already_archived(url, bucket=bucket, key=key, s3=s3)
    if done is not None:
        return done
    limits = replace(limits, max_bytes=min(limits.max_bytes, MAX_OBJECT_BYTES))
    try:
        with open_url(url, limits, deadline or Deadline(float("inf"))) as body:
            return _Upload(url, body, bucket=bucket, key=key, s3=s3).run()
    except FinalFetchError as exc:
        return ArchivedFile(FileState(exc.outcome.value), url, detail=exc.detail)


class _Upload:
    """The body into S3: one PutObject when it fits in a part, else boto3's transfer manager, part by part."""

    def __init__(self, url: str, body: Body, *, bucket: str, key: str, s3: S3Client) -> None:
        self._url = url
        self._body = body
        self._bucket = bucket
        self._key = key
        self._s3 = s3
        self._digest = hashlib.sha256()
        self._first: bytes | None = None
        self.content_type = _content_type(body.content_type)

    def read(self, size: int = -1) -> bytes:
        """The file-like read the transfer manager pulls parts with: the part already read, then the rest."""
        first = self._first
        if first is None:
            return self._hashed(size)
        if 0 <= size < len(first):
            self._first = first[size:]
            return first[:size]
        self._first = None
        return first + self._hashed(size - len(first)) if size != len(first) else first

    def _hashed(self, size: int) -> bytes:
        piece = self._body.read(size if size >= 0 else -1)
        self._digest.update(piece)
        return piece

    def run(self) -> ArchivedFile:
        first = self._hashed(PART_SIZE)
        try:
            if len(first) < PART_SIZE:
                self._s3.put_object(
                    Bucket=self._bucket,
                    Key=self._key,
                    Body=first,
                    ContentType=self.content_type,
                    Metadata=self._metadata(),
                )
            else:
                self._first = first
                del first  # the reader holds the only reference: the transfer manager's read frees it
                self._multipart()
        except (ClientError, BotoCoreError) as exc:
            raise TransientFetchError(f"S3 write of s3://{self._bucket}/{self._key} failed: {exc}") from exc
        return ArchivedFile(
            FileState.ARCHIVED,
            self._url,
            s3_uri=f"s3://{self._bucket}/{self._key}",
            content_type=self.content_type,
            size=self._body.size,
            sha256=self._digest.hexdigest(),
        )

    def _multipart(self) -> None:
        from boto3.s3.transfer import TransferConfig

        # Parts are uploaded as they are read, one in memory at a time; a failure aborts the upload.
        config = TransferConfig(multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, use_threads=False)
        self._s3.upload_fileobj(
            self,  # type: ignore[arg-type]
            self._bucket,
            self._key,
            ExtraArgs={"ContentType": self.content_type},
            Config=config,
        )
        # S3 fixes metadata when the upload is created, before the sha256 and size exist: a copy onto itself sets
        # them. Until then the object has no sha256, so a retry does not trust it.
        self._s3.copy_object(
            Bucket=self._bucket,
            Key=self._key,
            CopySource={"Bucket": self._bucket, "Key": self._key},
            MetadataDirective="REPLACE",
            ContentType=self.content_type,
            Metadata=self._metadata(),
            # The copy gets a checksum of the whole object, one any reader can check (not the parts' composite).
            ChecksumAlgorithm="CRC32",
        )

    def _metadata(self) -> dict[str, str]:
        return {
            "source-url": _metadata_url(self._url),
            "sha256": self._digest.hexdigest(),
            "size": str(self._body.size),
        }


def _already_archived(url: str, *, bucket: str, key: str, s3: S3Client) -> ArchivedFile | None:
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if aws.is_not_found(exc):
            return None
        raise TransientFetchError(f"S3 HEAD of s3://{bucket}/{key} failed: {exc}") from exc
    except BotoCoreError as exc:
        raise TransientFetchError(f"S3 HEAD of s3://{bucket}/{key} failed: {exc}") from exc
    metadata = head.get("Metadata", {})
    sha256 = metadata.get("sha256")
    if metadata.get("source-url") != _metadata_url(url) or not sha256:
        return None
    return ArchivedFile(
        FileState.ARCHIVED,
        url,
        detail="already archived",
        s3_uri=f"s3://{bucket}/{key}",
        content_type=head.get("ContentType"),
        size=head.get("ContentLength"),
        sha256=sha256,
    )


def _metadata_url(url: str) -> str:
    # Metadata travels as HTTP headers: ASCII only, and a few hundred bytes at most.
    quoted = quote_url(url)
    if len(quoted) <= _MAX_METADATA_URL:
        return quoted
    return "sha256:" + hashlib.sha256(url.encode()).hexdigest()


def _content_type(value: str | None) -> str:
    value = (value or "").strip()
    return value if _CONTENT_TYPE_RE.fullmatch(value) else _DEFAULT_CONTENT_TYPE
