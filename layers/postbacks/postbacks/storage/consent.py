"""The consent ledger in the postbacks table: one item per subscriber and program, written only by its rule.

Key design (keys beginning `~` and a letter are generated; no tracking id can equal one):
- `pk = ~consent:<shard>`, the shard (00-31) a hash of the subscriber: one subscriber's items share a key,
  and a campaign's opt-outs spread over 32 keys (DynamoDB allows 1,000 write units a second per key).
- `sk = <subscriber>#<program>`: a number's every program in one Query (`begins_with`).
- The item holds the decision (`state`, `previous_state`, the deciding event as `d_*`) and the latest
  possible opt-out (`r_*`). It carries none of the table's index keys and no `expires_at`: it enters no
  index, and retention never removes it. The events pipe's filter passes `postback` and `media` items only.

A consent event is one conditional UpdateItem: it applies only when it outranks the stored decider
(`d_rank`, the rule's precedence as a string), so writes of one item are serialised by DynamoDB and the
stored decision is the rule's (`domain.consent.merge`) whatever the order or concurrency. The suppression
list is 32 Queries, one per shard, filtered to opted-out items and pending reviews: never a Scan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from postbacks.domain.consent import NO_VENDOR_TIME, ConsentEvent, Decision, Merged, State
from postbacks.domain.consent_words import Action
from postbacks.storage import aws, codec
from postbacks.storage.errors import StorageRefused, StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CONSENT_ITEM = "consent"
KEY_PREFIX = "~consent:"
SHARDS = 32
# The event's vendor time and id are not stored apart: they are read back from its rank.
_EVENT_FIELDS = ("action", "code", "message_key", "received_at", "text")


def shard_of(subscriber: str) -> int:
    return int.from_bytes(hashlib.sha256(subscriber.encode()).digest()[:4], "big") % SHARDS


def ledger_pk(subscriber: str) -> str:
    return f"{KEY_PREFIX}{shard_of(subscriber):02d}"


def ledger_sk(subscriber: str, program: str) -> str:
    return f"{subscriber}#{program}"


def shard_keys() -> list[str]:
    return [f"{KEY_PREFIX}{shard:02d}" for shard in range(SHARDS)]


@dataclass(frozen=True, slots=True)
class ConsentLedger:
    table: str
    given_client: DynamoDBClient | None = None

    @property
    def client(self) -> DynamoDBClient:
        return self.given_client or aws.dynamodb()

    def record(self, event: ConsentEvent) -> Merged:
        """Apply one opt-in, opt-out or possible opt-out; `changed` when it moved the state.

        A Lambda retry of an event already applied finds itself the decider: it reports the same
        change again (at least once), and an older or equal event reports none.
        """
        review = event.action is Action.POSSIBLE_OPT_OUT
        prefix = "r_" if review else "d_"
        values: dict[str, Any] = {
            ":item": CONSENT_ITEM,
            ":party": event.subscriber,
            ":program": event.program,
            ":rank": event.rank,
            **{f":{prefix}{name}": _value(event, name) for name in _EVENT_FIELDS},
        }
        sets = ["#item = :item", "party = :party", "program = :program", f"{prefix}rank = :rank"]
        sets += [f"{prefix}{name} = :{prefix}{name}" for name in _EVENT_FIELDS]
        if not review:
            values |= {":state": _STATE_OF[event.action], ":unknown": State.UNKNOWN.value}
            sets += ["previous_state = if_not_exists(#state, :unknown)", "#state = :state"]
        key = {"pk": ledger_pk(event.subscriber), "sk": ledger_sk(event.subscriber, event.program)}
        try:
            answer = self.client.update_item(
                TableName=self.table,
                Key=codec.serialise(key),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=f"attribute_not_exists({prefix}rank) OR {prefix}rank < :rank",
                ExpressionAttributeNames={"#item": "item", **({} if review else {"#state": "state"})},
                ExpressionAttributeValues=codec.serialise(values),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            details = error.response.get("Error", {})
            if details.get("Code") == "ConditionalCheckFailedException":
                old: Mapping[str, Any] = error.response.get("Item") or {}  # type: ignore[assignment]
                before = decision_of(codec.plain(old))
                return _not_applied(before, event)
            if details.get("Code") == "ValidationException":
                raise StorageRefused(details.get("Message", str(error))) from error
            raise StorageUnavailable(str(error)) from error
        except BotoCoreError as error:
            raise StorageUnavailable(str(error)) from error
        after = decision_of(codec.plain(answer["Attributes"]))
        return Merged(after, True, not review and after.previous_state is not after.state)

    def for_subscriber(self, subscriber: str) -> list[Decision]:
        """Every program's decision for one subscriber: one Query (pages only past 1 MB)."""
        prefix = ledger_sk(subscriber, "")
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=codec.serialise({":pk": ledger_pk(subscriber), ":prefix": prefix}),
            ConsistentRead=True,
        )
        return [decision_of(item) for item in items if item.get("party") == subscriber]

    def opted_out(self) -> Iterator[Decision]:
        """Opted-out decisions and pending possible opt-outs: one Query per shard, filtered by the table."""
        for key in shard_keys():
            items = self._query(
                KeyConditionExpression="pk = :pk",
                FilterExpression="#state = :out OR attribute_exists(r_rank)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=codec.serialise({":pk": key, ":out": State.OPTED_OUT.value}),
            )
            for item in items:
                decision = decision_of(item)
                if decision.state is State.OPTED_OUT or decision.review_pending:
                    yield decision

    def _query(self, **request: Any) -> Iterator[dict[str, Any]]:
        try:
            for page in self.client.get_paginator("query").paginate(TableName=self.table, **request):
                yield from (codec.plain(item) for item in page.get("Items", []))
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(str(error)) from error


_STATE_OF = {Action.OPT_OUT: State.OPTED_OUT.value, Action.OPT_IN: State.OPTED_IN.value}


def _value(event: ConsentEvent, name: str) -> str:
    value = getattr(event, name)
    return "" if value is None else str(value)  # "" for no text: every field is always set, none removed


def _event(item: Mapping[str, Any], prefix: str) -> ConsentEvent | None:
    if f"{prefix}rank" not in item:
        return None
    fields = {name: str(item.get(prefix + name, "")) for name in _EVENT_FIELDS}
    vendor_at, _, event_id = str(item[f"{prefix}rank"]).split("#", 2)
    return ConsentEvent(
        subscriber=str(item["party"]),
        program=str(item["program"]),
        action=Action(fields["action"]),
        code=fields["code"],
        message_key=fields["message_key"],
        event_id=event_id,
        vendor_at="" if vendor_at == NO_VENDOR_TIME else vendor_at,
        received_at=fields["received_at"],
        text=fields["text"] or None,
    )


def decision_of(item: Mapping[str, Any]) -> Decision:
    return Decision(
        subscriber=str(item.get("party", "")),
        program=str(item.get("program", "")),
        state=State(item.get("state", State.UNKNOWN)),
        decider=_event(item, "d_"),
        previous_state=State(item.get("previous_state", State.UNKNOWN)),
        review=_event(item, "r_"),
    )


def _not_applied(before: Decision, event: ConsentEvent) -> Merged:
    # The same event already decided (a retried batch): its change is reported again, not lost.
    again = before.decider is not None and before.decider.rank == event.rank
    return Merged(before, False, again and before.previous_state is not before.state)
