"""S3: a bundle's body, put once under bundles/ when it is too large for one queue message or its items span
several jobs; the jobs point at it and the bucket's lifecycle removes it after the queue's retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from postbacks.storage import aws, kept_metadata
from postbacks.storage.errors import StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUNDLES_PREFIX = "bundles/"


class BundleBodies:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self._bucket = bucket
        self._client = client

    def put(self, request_id: str, body: bytes) -> str:
        """Keep `body` and return its key; a retry with a new request id writes a new object."""
        key = f"{BUNDLES_PREFIX}{datetime.now(UTC):%Y/%m/%d}/{kept_metadata.object_name(request_id)}"
        try:
            (self._client or aws.s3()).put_object(
                Bucket=self._bucket, Key=key, Body=body, ContentType="application/octet-stream"
            )
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(f"bundle body: {error}") from error
        return key

    def get(self, key: str) -> bytes:
        try:
            answer = (self._client or aws.s3()).get_object(Bucket=self._bucket, Key=key)
            return answer["Body"].read()
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(f"bundle body {key}: {error}") from error
