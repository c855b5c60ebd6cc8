"""The events the stack publishes, built from the table's stream: `Postback Received` and `Media Archived`.

The pipe (template.yaml, EventsPipe) filters the stream to INSERTs of postback and archived-media items
and hands each new item here. A postback's event adds the message's status after it, read in one
consistent Query (Limit 1) of the message's deciding postback; an archived file's event is the item
reshaped. Binary attributes (the raw body) are dropped before anything else looks at the item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from postbacks.domain import codes
from postbacks.storage import codec
from postbacks.storage.store import PostbackStore

POSTBACK_RECEIVED = "Postback Received"
MEDIA_ARCHIVED = "Media Archived"
SOURCE_PREFIX = "postbacks."  # the source is postbacks.<stack name>
_MEDIA_FIELDS = ("size", "sha256", "content_type")

# message key -> the item of the postback that decides the message's status (None: no postback yet).
DecidingReader = Callable[[str], Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Event:
    detail_type: str
    detail: dict[str, Any]

    def as_pipe_output(self) -> dict[str, Any]:
        # The pipe's target reads `detail-type` as its DetailType and `detail` as the event's detail.
        return {"detail-type": self.detail_type, "detail": self.detail}


def source(stack_name: str) -> str:
    return SOURCE_PREFIX + stack_name


def plain_image(image: Mapping[str, Any]) -> dict[str, Any]:
    """A stream image (DynamoDB JSON) as plain values; binary attributes (the raw body) are left out."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {
        name: _json_value(deserializer.deserialize(typed))
        for name, typed in image.items()
        if not ({"B", "BS"} & set(typed))
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(_json_value(item) for item in value)
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    return value


def is_final(status: str) -> bool:
    """An outcome (delivered, failed, received...): no longer "sent", and recognised."""
    try:
        known = codes.Status(status)
    except ValueError:
        return False
    return codes.rank(known) > codes.rank(codes.Status.SENT)


def postback_received(item: Mapping[str, Any], deciding: Mapping[str, Any] | None) -> Event:
    # The deciding postback is read after this one was stored; if the read raced ahead of nothing
    # (None), this postback alone is the message's set.
    winner = deciding or item
    status = str(winner.get("status") or codes.Status.UNRECOGNISED)
    detail = {
        "message_key": item["message_key"],
        "event_id": item["event_id"],
        "received_at": item.get("received_at"),
        "event_at": item.get("event_at"),
        "precedence": item.get("sk"),  # the sort key: string order is the status rule's order
        "postback": codec.event_of(item).fields,
        "message": {
            "status": status,
            "status_code": winner.get("code"),
            "final": is_final(status),
            "decided_by": winner.get("event_id"),
        },
    }
    return Event(POSTBACK_RECEIVED, detail)


def media_archived(item: Mapping[str, Any]) -> Event:
    detail = {
        "message_key": item["message_key"],
        "event_id": item["event_id"],
        "index": item["index"],
        "s3_uri": item.get("s3_uri") or f"s3://{item.get('s3_bucket')}/{item.get('s3_key')}",
        **{name: item.get(name) for name in _MEDIA_FIELDS},
    }
    return Event(MEDIA_ARCHIVED, detail)


def events_for(items: Iterable[Mapping[str, Any]], deciding_item: DecidingReader) -> list[Event]:
    """One event per new postback or archived file, in stream order; one status read per message."""
    deciding: dict[str, Mapping[str, Any] | None] = {}
    events: list[Event] = []
    for item in items:
        kind = item.get("item")
        if kind == codec.POSTBACK_ITEM:
            key = str(item["message_key"])
            if key not in deciding:
                deciding[key] = deciding_item(key)
            events.append(postback_received(item, deciding[key]))
        elif kind == codec.MEDIA_ITEM:
            events.append(media_archived(item))
    return events


def deciding_from(store: PostbackStore) -> DecidingReader:
    def read(message_key: str) -> Mapping[str, Any] | None:
        event = store.current(message_key)
        return None if event is None else {**event.fields, "event_id": event.event_id}

    return read
