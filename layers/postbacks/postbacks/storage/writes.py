"""Writes: one conditional PutItem per postback, one per archived file; a redelivery writes nothing new.

The condition (`attribute_not_exists(pk)`) makes the same postback, delivered again in any order or
wrapping, land on its existing item: no second item and no stream INSERT.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from postbacks.domain.models import Postback
from postbacks.storage import codec
from postbacks.storage.errors import ConditionFailed, call

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True, slots=True)
class SaveResult:
    message_key: str
    event_id: str
    new: bool


@dataclass(frozen=True, slots=True)
class Writer:
    table: str
    retention_seconds: int

    def save(
        self,
        client: DynamoDBClient,
        postback: Postback,
        received_at: str,
        raw: bytes | None,
        message_indexed: bool = False,
    ) -> SaveResult:
        item = codec.postback_item(postback, received_at, raw, message_indexed=message_indexed)
        new = self._put_new(client, item)
        return SaveResult(item["message_key"], item["event_id"], new)

    def record_media(
        self, client: DynamoDBClient, message_key: str, event_id: str, index: int, record: Mapping[str, Any]
    ) -> bool:
        """The outcome of one file's archiving; the first recorded outcome stays."""
        return self._put_new(client, codec.media_item(message_key, event_id, index, record))

    def _put_new(self, client: DynamoDBClient, item: dict[str, Any]) -> bool:
        if self.retention_seconds:
            item = {**item, "expires_at": int(time.time()) + self.retention_seconds}
        try:
            call(
                client.put_item,
                TableName=self.table,
                Item=codec.serialise(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ConditionFailed:
            return False
        return True
