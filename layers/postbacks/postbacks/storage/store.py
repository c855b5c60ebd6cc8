"""DynamoDB: every postback of a message, one item each, and the message's status read from them.

Key design in `keys`, item layout in `codec`, the requests in `writes` and `reads`. A postback costs one
conditional PutItem, and a delivery receipt one Query of one item besides (is its message in the number
index already?); the message's status is never written anywhere: it is the last postback item in the status
rule's order (`domain.status`), read with one Query.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from postbacks.domain.codes import Status
from postbacks.domain.models import Postback
from postbacks.storage import aws, codec, keys
from postbacks.storage.codec import StoredEvent, StoredMessage
from postbacks.storage.errors import StorageRefused, StorageUnavailable
from postbacks.storage.reads import FAILURE_INDEX, SUBSCRIBER_INDEX, IndexHit, Reader
from postbacks.storage.writes import SaveResult, Writer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "FAILURE_INDEX",
    "SUBSCRIBER_INDEX",
    "IndexHit",
    "PostbackStore",
    "SaveResult",
    "StorageRefused",
    "StorageUnavailable",
    "StoredEvent",
    "StoredMessage",
]


class PostbackStore:
    def __init__(self, table_name: str, retention_days: int = 0, client: DynamoDBClient | None = None) -> None:
        self._writer = Writer(table_name, retention_days * 86_400)
        self._reader = Reader(table_name)
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or aws.dynamodb()

    # --- writes ----------------------------------------------------------------------------------

    def save(self, postback: Postback, received_at: str, raw: bytes | None = None) -> SaveResult:
        """Store one postback with the bytes it arrived in; `new` is False for a redelivery."""
        client = self.client
        indexed = keys.indexed_only_when_alone(postback) and self._reader.first_postback_indexed(
            client, keys.message_key(postback)
        )
        return self._writer.save(client, postback, received_at, raw, indexed)

    def record_media(self, message_key: str, event_id: str, index: int, record: Mapping[str, Any]) -> bool:
        return self._writer.record_media(self.client, message_key, event_id, index, record)

    # --- reads -----------------------------------------------------------------------------------

    def get_message(self, message_key: str) -> StoredMessage | None:
        """A message's postbacks (timeline), media records and current status, in one Query."""
        items = self._reader.message_items(self.client, message_key)
        postbacks = [item for item in items if str(item["sk"]).startswith(keys.POSTBACK_PREFIX)]
        if not items:
            return None
        # Items come in sort key order: the last postback item decides the status.
        deciding = postbacks[-1] if postbacks else {}
        events = sorted((codec.event_of(item) for item in postbacks), key=lambda e: (e.event_at, e.event_id))
        media = [codec.media_of(item) for item in items if str(item["sk"]).startswith(keys.MEDIA_PREFIX)]
        return StoredMessage(
            message_key=message_key,
            status=str(deciding.get("status", Status.UNRECOGNISED.value)),
            status_code=deciding.get("code"),
            events=events,
            media=media,
        )

    def current(self, message_key: str) -> StoredEvent | None:
        """The postback that decides the message's status (one Query, Limit 1); None for no such message."""
        item = self._reader.deciding_item(self.client, message_key)
        return None if item is None else codec.event_of(item)

    def by_subscriber(
        self, number: str, *, since: str | None = None, until: str | None = None, newest_first: bool = True
    ) -> Iterator[IndexHit]:
        """A subscriber's postbacks (MT to, MO from, subscription mobile), served by `by_subscriber`.

        The number in any spelling: it is compared by its digits (`keys.number_key`); one without digits finds none.
        """
        key = keys.number_key(number)
        if key is None:
            return iter(())
        return self._reader.by_subscriber(self.client, key, since, until, newest_first)

    def failures(
        self, *, since: str, until: str | None = None, filters: Mapping[str, str] | None = None
    ) -> Iterator[IndexHit]:
        """Failed, rejected, expired ... postbacks in a window, newest first, served by `by_failure`."""
        return self._reader.failures(self.client, since, until, filters or {})

    def scan(self, *, since: str, until: str | None = None) -> Iterator[StoredEvent]:
        """Every postback in a window, by reading the whole table: meant for a local stack, never for AWS."""
        return (codec.event_of(item) for item in self._reader.scan_postbacks(self.client, since, until))

    def event(self, hit: IndexHit) -> StoredEvent | None:
        """The whole stored postback behind an index hit (one GetItem)."""
        item = self._reader.get_postback(self.client, hit.message_key, hit.sk)
        return None if item is None else codec.event_of(item)
