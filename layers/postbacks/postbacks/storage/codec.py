"""Items as DynamoDB stores them: a postback's item, a media record, and their plain-value forms.

A postback item carries `item = "postback"`, `message_key`, `event_id`, its canonical fields (its own
`status` among them), `received_at`, `event_at`, and `raw`: the bytes it arrived in, zlib-compressed,
in a binary attribute no index projects. Index keys (`subscriber`, `failure_bucket`) are present only
on the items each index serves (sparse indexes).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from postbacks.domain import status
from postbacks.domain.models import Postback
from postbacks.storage import keys

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

POSTBACK_ITEM = "postback"
MEDIA_ITEM = "media"  # an archived file: its S3 object exists
MEDIA_FAILED_ITEM = "media_failed"  # a file that could not be archived, and why
# Bookkeeping and index attributes: everything else on a postback item is one of its canonical fields.
_NOT_FIELDS = frozenset(
    {"pk", "sk", "item", "message_key", "event_id", "received_at", "event_at", "raw", "subscriber"}
    | {"failure_bucket", "expires_at"}
)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One stored postback; `fields` are its canonical fields, `raw` the bytes it arrived in."""

    message_key: str
    event_id: str
    received_at: str
    event_at: str
    fields: dict[str, Any]
    raw: bytes | None = None

    def as_json(self) -> dict[str, Any]:
        return {"message_key": self.message_key, **self.fields, "received_at": self.received_at}


@dataclass(frozen=True, slots=True)
class StoredMessage:
    message_key: str
    status: str
    status_code: str | None
    events: list[StoredEvent] = field(default_factory=list)  # by vendor time (else arrival), oldest first
    media: list[dict[str, Any]] = field(default_factory=list)  # archive records, by event and index


def postback_item(
    postback: Postback, received_at: str, raw: bytes | None, *, message_indexed: bool = False
) -> dict[str, Any]:
    """`message_indexed`: another postback of this message is in `by_subscriber` already (a receipt skips it)."""
    message_key = keys.message_key(postback)
    precedence = status.precedence(postback)
    event_at = precedence.vendor_at or received_at
    item: dict[str, Any] = {
        "pk": message_key,
        "sk": keys.postback_sk(precedence),
        "item": POSTBACK_ITEM,
        "message_key": message_key,
        "event_id": precedence.fingerprint,
        "received_at": received_at,
        "event_at": event_at,
        **postback.canonical(),
    }
    if raw is not None:
        item["raw"] = zlib.compress(raw, 9)
    number = keys.subscriber(postback)
    if number and not (message_indexed and keys.indexed_only_when_alone(postback)):
        item["subscriber"] = number
    if status.is_failure(postback.status):
        item["failure_bucket"] = keys.failure_bucket(message_key, event_at)
    return item


def media_item(message_key: str, event_id: str, index: int, record: Mapping[str, Any]) -> dict[str, Any]:
    archived = record.get("state") == "archived"
    item = {
        **record,
        "pk": message_key,
        "sk": keys.media_sk(event_id, index),
        "item": MEDIA_ITEM if archived else MEDIA_FAILED_ITEM,
        "message_key": message_key,
        "event_id": event_id,
        "index": index,
    }
    return {name: value for name, value in item.items() if value not in (None, "")}


def event_of(item: Mapping[str, Any]) -> StoredEvent:
    raw = item.get("raw")
    return StoredEvent(
        message_key=str(item["pk"]),
        event_id=str(item.get("event_id") or str(item["sk"]).rpartition("#")[2]),
        received_at=str(item.get("received_at", "")),
        event_at=str(item.get("event_at", "")),
        fields={name: value for name, value in item.items() if name not in _NOT_FIELDS},
        raw=zlib.decompress(raw) if isinstance(raw, bytes) else None,
    )


def media_of(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name not in ("pk", "sk", "expires_at")}


# --- DynamoDB's typed values ---------------------------------------------------------------------


@cache
def _serializer() -> TypeSerializer:
    # Imported at first use, with the client: importing boto3 at init would double a cold start's imports.
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


@cache
def _deserializer() -> TypeDeserializer:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def serialise(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer().serialize(value) for name, value in values.items()}


def plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _from_dynamo(_deserializer().deserialize(value)) for name, value in item.items()}


def _from_dynamo(value: Any) -> Any:
    # Numbers come back as Decimal (everything we store as a number is whole), binary as Binary.
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, list):
        return [_from_dynamo(item) for item in value]
    if isinstance(value, dict):
        return {key: _from_dynamo(item) for key, item in value.items()}
    if type(value).__name__ == "Binary":
        return bytes(value.value)
    return value
