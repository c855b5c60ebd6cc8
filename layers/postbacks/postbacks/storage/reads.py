"""Reads, each served by the table's key or one sparse index, never a scan.

- a message (timeline, media, status): `Query pk = :key`;
- its current status alone: `Query pk = :key AND begins_with(sk, "S#")`, newest first, `Limit 1`;
- whether it is in the number index (for a delivery receipt): the same, oldest first, `Limit 1`, projected;
- a subscriber's postbacks: index `by_subscriber` (`subscriber = :n`, `event_at` bounded);
- failures in a window: index `by_failure`, one query per day and shard, merged newest first.
The indexes project only the keys, `code` and `status`; each hit is completed from the table when asked.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from postbacks.domain import timestamps
from postbacks.storage import codec, keys
from postbacks.storage.errors import StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SUBSCRIBER_INDEX = "by_subscriber"
FAILURE_INDEX = "by_failure"


@dataclass(frozen=True, slots=True)
class IndexHit:
    """One postback as an index projects it: its keys, time, code and status."""

    message_key: str
    sk: str
    event_at: str
    code: str
    status: str

    @property
    def event_id(self) -> str:
        return self.sk.rsplit("#", 1)[-1]


@dataclass(frozen=True, slots=True)
class Reader:
    table: str

    def items(self, client: DynamoDBClient, **query: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paginated query, as plain values."""
        paginator = client.get_paginator("query")
        try:
            for page in paginator.paginate(TableName=self.table, **query):
                for item in page.get("Items", []):
                    yield codec.plain(item)
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(str(error)) from error

    def message_items(self, client: DynamoDBClient, message_key: str) -> list[dict[str, Any]]:
        return list(
            self.items(
                client,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=codec.serialise({":pk": message_key}),
                ConsistentRead=True,
            )
        )

    def deciding_item(self, client: DynamoDBClient, message_key: str) -> dict[str, Any] | None:
        """The postback that decides the message's status: one request."""
        try:
            answer = client.query(
                TableName=self.table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                ExpressionAttributeValues=codec.serialise({":pk": message_key, ":s": keys.POSTBACK_PREFIX}),
                ScanIndexForward=False,
                Limit=1,
                ConsistentRead=True,
            )
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(str(error)) from error
        found = answer.get("Items", [])
        return codec.plain(found[0]) if found else None

    def first_postback_indexed(self, client: DynamoDBClient, message_key: str) -> bool:
        """Whether the message's first postback (the send report, when it came) is in `by_subscriber`: one read.

        Only a receipt that finds none is indexed; any postback that would sort first is indexed itself, unless
        it has no number, and then the receipt is indexed too: a message is never left out of the index.
        """
        try:
            answer = client.query(
                TableName=self.table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                ExpressionAttributeValues=codec.serialise({":pk": message_key, ":s": keys.POSTBACK_PREFIX}),
                ProjectionExpression="subscriber",
                Limit=1,
                ConsistentRead=True,
            )
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(str(error)) from error
        return any("subscriber" in item for item in answer.get("Items", []))

    def by_subscriber(
        self, client: DynamoDBClient, number: str, since: str | None, until: str | None, newest_first: bool = True
    ) -> Iterator[IndexHit]:
        condition, values = _window("subscriber = :key", since, until)
        values[":key"] = number
        for item in self.items(
            client,
            IndexName=SUBSCRIBER_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=codec.serialise(values),
            ScanIndexForward=not newest_first,
        ):
            yield _hit(item)

    def failures(
        self, client: DynamoDBClient, since: str, until: str | None, filters: Mapping[str, str]
    ) -> Iterator[IndexHit]:
        """Failures between since and until, newest first: every shard of every day, merged."""
        end = until or timestamps.utc_now_iso()
        streams = [
            self._failure_bucket(client, bucket, since, end, filters)
            for day in reversed(_days(since, end))
            for bucket in keys.failure_buckets(day)
        ]
        yield from heapq.merge(*streams, key=lambda hit: (hit.event_at, hit.sk), reverse=True)

    def _failure_bucket(
        self, client: DynamoDBClient, bucket: str, since: str, until: str, filters: Mapping[str, str]
    ) -> Iterator[IndexHit]:
        condition, values = _window("failure_bucket = :key", since, until)
        values[":key"] = bucket
        names: dict[str, str] = {}
        clauses = []
        for position, (name, wanted) in enumerate(sorted(filters.items())):
            names[f"#f{position}"] = name
            values[f":f{position}"] = wanted
            clauses.append(f"#f{position} = :f{position}")
        extra: dict[str, Any] = (
            {"FilterExpression": " AND ".join(clauses), "ExpressionAttributeNames": names} if clauses else {}
        )
        for item in self.items(
            client,
            IndexName=FAILURE_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=codec.serialise(values),
            ScanIndexForward=False,
            **extra,
        ):
            yield _hit(item)

    def scan_postbacks(self, client: DynamoDBClient, since: str, until: str | None) -> Iterator[dict[str, Any]]:
        """Every postback item in a window by reading the whole table: for a local stack's `stats` only."""
        condition, values = "#item = :postback AND event_at >= :since", {":postback": "postback", ":since": since}
        if until:
            condition += " AND event_at <= :until"
            values[":until"] = until
        paginator = client.get_paginator("scan")
        try:
            for page in paginator.paginate(
                TableName=self.table,
                FilterExpression=condition,
                ExpressionAttributeNames={"#item": "item"},
                ExpressionAttributeValues=codec.serialise(values),
            ):
                for item in page.get("Items", []):
                    yield codec.plain(item)
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(str(error)) from error

    def get_postback(self, client: DynamoDBClient, message_key: str, sk: str) -> dict[str, Any] | None:
        try:
            answer = client.get_item(TableName=self.table, Key=codec.serialise({"pk": message_key, "sk": sk}))
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(str(error)) from error
        item = answer.get("Item")
        return codec.plain(item) if item else None


def _window(condition: str, since: str | None, until: str | None) -> tuple[str, dict[str, Any]]:
    values: dict[str, Any] = {}
    if since and until:
        condition += " AND event_at BETWEEN :since AND :until"
        values.update({":since": since, ":until": until})
    elif since:
        condition += " AND event_at >= :since"
        values[":since"] = since
    elif until:
        condition += " AND event_at <= :until"
        values[":until"] = until
    return condition, values


def _days(since: str, until: str) -> list[str]:
    """Every UTC day from since's to until's, as `YYYY-MM-DD`."""
    first, last = date.fromisoformat(since[:10]), date.fromisoformat(until[:10])
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _hit(item: Mapping[str, Any]) -> IndexHit:
    return IndexHit(
        message_key=str(item["pk"]),
        sk=str(item["sk"]),
        event_at=str(item.get("event_at", "")),
        code=str(item.get("code", "")),
        status=str(item.get("status", "")),
    )
