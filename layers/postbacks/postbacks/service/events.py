"""The events the stack publishes, built from the table's stream: `Postback Received` and `Media Archived`.

The stream trigger (template.yaml, EventsStreamMapping) filters the stream to INSERTs of postback and
archived-media items and hands each new item here. A postback's event adds the message's status after it,
read in one consistent Query (Limit 1) of the message's deciding postback, and the item's sort key as
`precedence`; an archived file's event is the item reshaped. Binary attributes (the raw body) are dropped
before anything else looks at the item. Every entry is measured as PutEvents counts it and cut to
MAX_ENTRY_BYTES (docs/events.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from postbacks.domain import codes
from postbacks.storage import codec

if TYPE_CHECKING:
    from postbacks.storage.store import PostbackStore

POSTBACK_RECEIVED = "Postback Received"
MEDIA_ARCHIVED = "Media Archived"
SOURCE_PREFIX = "postbacks."  # the source is postbacks.<stack name>
_MEDIA_FIELDS = ("size", "sha256", "content_type")
# One 64 KB chunk: the bus bills per started chunk and accepts 1 MiB; nothing we publish needs more.
MAX_ENTRY_BYTES = 65_536
# What a cut event always keeps: enough to find the message and the postback, and its status.
KEPT = frozenset({"message_key", "event_id", "message", "precedence", "truncated", "cut"})

# message key -> the item of the postback that decides the message's status (None: no postback yet).
DecidingReader = Callable[[str], Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Event:
    detail_type: str
    detail: dict[str, Any]

    def entry(self, source: str, bus: str) -> dict[str, str]:
        """The PutEvents entry; Detail is compact JSON, non-ASCII kept as UTF-8 (4 bytes, not 12, per emoji)."""
        return {
            "Source": source,
            "DetailType": self.detail_type,
            "Detail": json.dumps(self.detail, ensure_ascii=False, separators=(",", ":")),
            "EventBusName": bus,
        }


def entry_size(entry: Mapping[str, Any]) -> int:
    """An entry's size as PutEvents counts it: the UTF-8 bytes of Source, DetailType, Detail and Resources.

    Time counts 14 bytes when set (we never set it); EventBusName does not count.
    """

    def utf8(text: str) -> int:
        return len(text.encode("utf-8", "surrogatepass"))

    size = sum(utf8(str(entry.get(name) or "")) for name in ("Source", "DetailType", "Detail"))
    size += sum(utf8(str(resource)) for resource in entry.get("Resources") or ())
    return size + (14 if entry.get("Time") else 0)


def fitted(event: Event, source: str, bound: int = MAX_ENTRY_BYTES) -> Event:
    """The event as published: whole when its entry is within `bound`, else cut, largest fields first.

    A cut event says `"truncated": true` and lists in `cut` the fields left out (`postback.extra`...);
    message_key and event_id find the stored postback (`postbacks show`), which is always whole.
    """
    if entry_size(event.entry(source, "")) <= bound:
        return event
    detail = json.loads(json.dumps(event.detail))  # a deep copy we may cut
    detail["truncated"] = True
    detail["cut"] = []
    for path, container, name in _by_size(detail):
        if entry_size(Event(event.detail_type, detail).entry(source, "")) <= bound:
            break
        del container[name]
        detail["cut"].append(path)
    return Event(event.detail_type, detail)


def _by_size(detail: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """Every field a cut may drop, largest first: the postback's fields, then other top-level ones."""
    fields: list[tuple[int, str, dict[str, Any], str]] = []
    postback = detail.get("postback")
    if isinstance(postback, dict):
        fields += [(_size(value), f"postback.{name}", postback, name) for name, value in postback.items()]
    others = [name for name in detail if name not in KEPT and name != "postback"]
    fields += [(_size(detail[name]), name, detail, name) for name in others]
    fields.sort(key=lambda field: -field[0])
    return [(path, container, name) for _, path, container, name in fields]


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))


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
        # The stored sort key orders the message's postbacks by the status rule: the greatest decides.
        "precedence": item.get("sk"),
        "received_at": item.get("received_at"),
        "event_at": item.get("event_at"),
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


def event_for(item: Mapping[str, Any], deciding_item: DecidingReader) -> Event | None:
    """The event a new item makes (None: it is neither a postback nor an archived file)."""
    kind = item.get("item")
    if kind == codec.POSTBACK_ITEM:
        return postback_received(item, deciding_item(str(item["message_key"])))
    if kind == codec.MEDIA_ITEM:
        return media_archived(item)
    return None


def events_for(items: Iterable[Mapping[str, Any]], deciding_item: DecidingReader) -> list[Event]:
    """One event per new postback or archived file, in stream order; one status read per message."""
    reader = once_per_message(deciding_item)
    return [event for event in (event_for(item, reader) for item in items) if event is not None]


def once_per_message(deciding_item: DecidingReader) -> DecidingReader:
    """A reader that reads each message's status once (a batch holds several postbacks of one message)."""
    read: dict[str, Mapping[str, Any] | None] = {}

    def reader(message_key: str) -> Mapping[str, Any] | None:
        if message_key not in read:
            read[message_key] = deciding_item(message_key)
        return read[message_key]

    return reader


def deciding_from(store: PostbackStore) -> DecidingReader:
    """The reader of a PostbackStore: the message's deciding postback, as the stream would show it."""

    def read(message_key: str) -> Mapping[str, Any] | None:
        event = store.current(message_key)
        return None if event is None else {**event.fields, "event_id": event.event_id}

    return read
