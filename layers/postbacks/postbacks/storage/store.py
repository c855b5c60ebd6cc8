"""DynamoDB: every postback of a message, and the message's current status.

A postback costs two writes and no reads: a conditional PutItem of the event (the condition makes a
redelivery a no-op) and a conditional UpdateItem of the message head (the condition keeps the most
advanced status whatever the arrival order). Both are idempotent, so a retry after a crash between
them repairs the head.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from postbacks.domain import codes
from postbacks.domain.models import Postback
from postbacks.storage import aws, keys

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
    from mypy_boto3_dynamodb import DynamoDBClient

# Which GSI serves which lookup; each is keyed on the event items' own canonical attribute.
INDEX_FOR: dict[str, str] = {
    "to": "by_to",
    "from": "by_from",
    "mms_id": "by_mms_id",
    "code": "by_code",
}
_BOOKKEEPING = ("pk", "sk", "event_id", "event_at", "received_at", "expires_at")


class StorageUnavailable(Exception):
    """DynamoDB could not be reached or failed: the sender must retry later."""


class StorageRefused(Exception):
    """DynamoDB refused this item for good (a ValidationException: too large, a key over its limit).

    Retrying cannot help, so the caller keeps the body aside instead of asking for a retry.
    """


@dataclass(frozen=True, slots=True)
class SaveResult:
    message_key: str
    event_id: str
    new: bool


@dataclass(frozen=True, slots=True)
class StoredEvent:
    message_key: str
    event_id: str
    received_at: str
    event_at: str
    fields: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"tracking_id": self.message_key, **self.fields, "received_at": self.received_at}


@dataclass(frozen=True, slots=True)
class StoredMessage:
    message_key: str
    status: str
    status_code: str | None
    events: list[StoredEvent] = field(default_factory=list)
    content: list[dict[str, Any]] = field(default_factory=list)


class PostbackStore:
    def __init__(self, table_name: str, retention_days: int = 0, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._retention_seconds = retention_days * 86_400
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or aws.dynamodb()

    # --- writes ----------------------------------------------------------------------------------

    def save(self, postback: Postback, received_at: str) -> SaveResult:
        key = keys.message_key(postback)
        event_id = postback.fingerprint()
        event_at = postback.timestamp or received_at
        new = self._put_event(key, event_id, postback, received_at, event_at)
        self._advance_head(key, event_id, postback, event_at, received_at)
        return SaveResult(key, event_id, new)

    def record_content(self, message_key: str, index: int, attributes: Mapping[str, Any]) -> None:
        item = {"pk": message_key, "sk": keys.content_sk(index), "index": index, **attributes}
        item = {name: value for name, value in item.items() if value is not None}
        self._call(self.client.put_item, TableName=self._table, Item=_serialise(self._with_ttl(item)))

    def _put_event(self, key: str, event_id: str, postback: Postback, received_at: str, event_at: str) -> bool:
        item = {
            "pk": key,
            "sk": f"{keys.EVENT_PREFIX}{event_id}",
            "event_id": event_id,
            "received_at": received_at,
            "event_at": event_at,
            **postback.canonical(),
        }
        try:
            self._call(
                self.client.put_item,
                TableName=self._table,
                Item=_serialise(self._with_ttl(item)),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except _ConditionFailed:
            return False
        return True

    def _advance_head(self, key: str, event_id: str, postback: Postback, event_at: str, now: str) -> None:
        values: dict[str, Any] = {
            ":status": postback.status.value,
            ":code": postback.code,
            ":rank": codes.rank(postback.status),
            ":at": event_at,
            ":event": event_id,
            ":now": now,
            ":kind": postback.kind.value,
        }
        expires = self._expires_at()
        update = (
            "SET #status = :status, status_code = :code, status_rank = :rank, status_at = :at,"
            " status_event = :event, updated_at = :now, first_seen_at = if_not_exists(first_seen_at, :now),"
            " message_kind = if_not_exists(message_kind, :kind)"
        )
        if expires is not None:
            update += ", expires_at = :expires"
            values[":expires"] = expires
        # A failed condition means the head already shows a more advanced (or the same) status.
        with contextlib.suppress(_ConditionFailed):
            self._call(
                self.client.update_item,
                TableName=self._table,
                Key=_serialise({"pk": key, "sk": keys.HEAD_SK}),
                UpdateExpression=update,
                ConditionExpression=(
                    "attribute_not_exists(status_rank) OR status_rank < :rank"
                    " OR (status_rank = :rank AND status_at < :at)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=_serialise(values),
            )

    # --- reads -----------------------------------------------------------------------------------

    def get_message(self, message_key: str) -> StoredMessage | None:
        items = list(
            self._items(
                "query",
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=_serialise({":pk": message_key}),
                ConsistentRead=True,
            )
        )
        if not items:
            return None
        head = next((item for item in items if item["sk"] == keys.HEAD_SK), {})
        events = sorted(
            (_event(item) for item in items if item["sk"].startswith(keys.EVENT_PREFIX)),
            key=lambda event: (event.event_at, event.received_at),
        )
        content = sorted(
            (
                {name: value for name, value in item.items() if name not in ("pk", "sk")}
                for item in items
                if item["sk"].startswith(keys.CONTENT_PREFIX)
            ),
            key=lambda entry: int(entry.get("index", 0)),
        )
        return StoredMessage(
            message_key=message_key,
            status=str(head.get("status", codes.Status.UNRECOGNISED.value)),
            status_code=head.get("status_code"),
            events=events,
            content=content,
        )

    def list_events(
        self,
        attribute: str,
        value: str,
        *,
        since: str | None = None,
        until: str | None = None,
        filters: Mapping[str, str] | None = None,
        newest_first: bool = True,
    ) -> Iterator[StoredEvent]:
        """Events whose `attribute` equals `value`, served by that attribute's GSI (never a scan)."""
        names = {"#key": attribute}
        values: dict[str, Any] = {":value": value}
        condition = "#key = :value"
        if since and until:
            condition += " AND event_at BETWEEN :since AND :until"
            values.update({":since": since, ":until": until})
        elif since:
            condition += " AND event_at >= :since"
            values[":since"] = since
        elif until:
            condition += " AND event_at <= :until"
            values[":until"] = until
        clauses = _equal_clauses(filters, names, values)
        extra: dict[str, Any] = {"FilterExpression": " AND ".join(clauses)} if clauses else {}
        for item in self._items(
            "query",
            IndexName=INDEX_FOR[attribute],
            KeyConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=_serialise(values),
            ScanIndexForward=not newest_first,
            **extra,
        ):
            yield _event(item)

    def scan_events(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> Iterator[StoredEvent]:
        """Events matching `filters`, read by scanning the whole table, in no particular order.

        For questions no index answers (a status alone, a time window alone); every item is read
        and paid for, so callers only do this when asked to.
        """
        names: dict[str, str] = {}
        values: dict[str, Any] = {":event": keys.EVENT_PREFIX}
        clauses = ["begins_with(sk, :event)"]
        if since:
            clauses.append("event_at >= :since")
            values[":since"] = since
        if until:
            clauses.append("event_at <= :until")
            values[":until"] = until
        clauses += _equal_clauses(filters, names, values)
        extra: dict[str, Any] = {"ExpressionAttributeNames": names} if names else {}
        for item in self._items(
            "scan", FilterExpression=" AND ".join(clauses), ExpressionAttributeValues=_serialise(values), **extra
        ):
            yield _event(item)

    def _items(self, operation: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paginated query or scan of the table, as plain values."""
        paginator = self.client.get_paginator(operation)  # type: ignore[call-overload]
        try:
            for page in paginator.paginate(TableName=self._table, **kwargs):
                for item in page.get("Items", []):
                    yield _plain(item)
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(str(error)) from error

    # --- plumbing --------------------------------------------------------------------------------

    def _with_ttl(self, item: dict[str, Any]) -> dict[str, Any]:
        expires = self._expires_at()
        return item if expires is None else {**item, "expires_at": expires}

    def _expires_at(self) -> int | None:
        return int(time.time()) + self._retention_seconds if self._retention_seconds else None

    @staticmethod
    def _call(operation: Any, **kwargs: Any) -> Any:
        try:
            return operation(**kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "ConditionalCheckFailedException":
                raise _ConditionFailed from error
            if code == "ValidationException":
                raise StorageRefused(error.response.get("Error", {}).get("Message", str(error))) from error
            raise StorageUnavailable(str(error)) from error
        except BotoCoreError as error:
            raise StorageUnavailable(str(error)) from error


class _ConditionFailed(Exception):
    pass


@cache
def _serializer() -> TypeSerializer:
    # Imported at first use, with the client: importing boto3 at init would double a cold start's imports.
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


@cache
def _deserializer() -> TypeDeserializer:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def _equal_clauses(filters: Mapping[str, str] | None, names: dict[str, str], values: dict[str, Any]) -> list[str]:
    """`#fN = :fN` for each filter, its name and value added to the expression's maps."""
    clauses = []
    for position, (name, wanted) in enumerate(sorted((filters or {}).items())):
        names[f"#f{position}"] = name
        values[f":f{position}"] = wanted
        clauses.append(f"#f{position} = :f{position}")
    return clauses


def _serialise(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer().serialize(value) for name, value in values.items()}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _from_dynamo(_deserializer().deserialize(value)) for name, value in item.items()}


def _from_dynamo(value: Any) -> Any:
    # Numbers come back as Decimal; everything we store as a number is a whole number.
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, list):
        return [_from_dynamo(item) for item in value]
    if isinstance(value, dict):
        return {key: _from_dynamo(item) for key, item in value.items()}
    return value


def _event(item: Mapping[str, Any]) -> StoredEvent:
    fields = {name: value for name, value in item.items() if name not in _BOOKKEEPING}
    return StoredEvent(
        message_key=str(item["pk"]),
        event_id=str(item.get("event_id", "")),
        received_at=str(item.get("received_at", "")),
        event_at=str(item.get("event_at", "")),
        fields=fields,
    )
