"""DynamoDB store over moto's HTTP endpoint: lifecycle, ordering, duplicates, keys, lookups."""

from __future__ import annotations

import itertools

import boto3
import pytest

from postbacks.domain import decoding, parsing
from postbacks.domain.models import Postback
from postbacks.storage.store import PostbackStore, StorageUnavailable
from postbacks_cli.local_stacks import StackResources
from tests.helpers import SEEDS

RECEIVED = "2026-11-22T10:00:00.000Z"


def seed(name: str) -> Postback:
    (postback,) = parsing.parse(decoding.payload((SEEDS / name).read_bytes(), None)).postbacks
    return postback


def with_code(postback: Postback, code: str, status_text: str, timestamp: str) -> Postback:
    fields = postback.canonical() | {"code": code, "status_text": status_text, "timestamp_original": timestamp}
    return Postback.model_validate(fields)


@pytest.fixture
def store(stack: StackResources) -> PostbackStore:
    return PostbackStore(stack.table_name)


def test_lifecycle_keeps_every_event_oldest_first(store: PostbackStore) -> None:
    store.save(seed("001_mms_mt_n102_binary.xml"), RECEIVED)
    store.save(seed("001_mms_mt_n101_binary.xml"), RECEIVED)
    message = store.get_message("TU1TXzU5Nzg3OQ==")
    assert message is not None
    assert [event.fields["code"] for event in message.events] == ["N101", "N102"]
    assert message.status == "delivered"


def test_late_n101_does_not_downgrade_delivered(store: PostbackStore) -> None:
    store.save(seed("001_mms_mt_n102_binary.xml"), RECEIVED)
    store.save(seed("001_mms_mt_n101_binary.xml"), RECEIVED)
    message = store.get_message("TU1TXzU5Nzg3OQ==")
    assert message is not None
    assert (message.status, message.status_code) == ("delivered", "N102")


def test_redelivery_adds_no_second_event(store: PostbackStore) -> None:
    n202 = seed("001_sms_mt_n202.xml")
    results = [store.save(n202, RECEIVED) for _ in range(5)]
    assert [result.new for result in results] == [True, False, False, False, False]
    message = store.get_message("U01TXzgwNjc4")
    assert message is not None
    assert len(message.events) == 1


@pytest.mark.parametrize(
    "order",
    list(itertools.permutations(["N201", "N202", "E202"])),
)
def test_every_arrival_order_gives_the_same_final_status(stack: StackResources, order: tuple[str, ...]) -> None:
    store = PostbackStore(stack.table_name)
    base = seed("001_sms_mt_n202.xml")
    events = {
        "N201": with_code(base, "N201", "Message Sent", "2013-11-05T05:41:08-05:00"),
        "N202": with_code(base, "N202", "Message Sent/Delivered", "2013-11-05T05:41:15-05:00"),
        "E202": with_code(base, "E202", "Message Sent/Failed", "2013-11-05T05:41:20-05:00"),
    }
    for code in order:
        store.save(events[code], RECEIVED)
    message = store.get_message(base.tracking_id or "")
    assert message is not None
    # Two final outcomes: the later one (by the vendor's timestamp) stands, whatever the arrival order.
    assert (message.status, message.status_code) == ("failed", "E202")
    assert len(message.events) == 3


def test_save_mms_without_tracking_id_is_keyed_by_mms_id(store: PostbackStore) -> None:
    result = store.save(seed("001_save_mms_n003.xml"), RECEIVED)
    assert result.message_key == "mms:35674"
    found = list(store.list_events("mms_id", "35674"))
    assert [event.fields["code"] for event in found] == ["N003"]


def test_sms_mo_gets_a_deterministic_key_and_is_findable_by_from_and_to(store: PostbackStore) -> None:
    first = store.save(seed("004_sms_mo_n211.xml"), RECEIVED)
    again = store.save(seed("004_sms_mo_n211.xml"), "2026-11-22T10:05:00.000Z")
    assert first.message_key == again.message_key
    assert first.message_key.startswith("pb:")
    assert not again.new
    assert [event.message_key for event in store.list_events("from", "16311112222")] == [first.message_key]
    assert [event.message_key for event in store.list_events("to", "60856")] == [first.message_key]


def test_list_by_code_serves_events_from_its_index(store: PostbackStore) -> None:
    store.save(seed("002_mms_mt_e102.xml"), RECEIVED)
    store.save(seed("002_mms_mt_n101_binary.xml"), RECEIVED)
    found = list(store.list_events("code", "E102"))
    assert [(event.message_key, event.fields["status"]) for event in found] == [("TU1TXzU5Nzg3Nw==", "rejected")]


def test_storage_down_raises_storage_unavailable(stack: StackResources) -> None:
    boto3.client("dynamodb").delete_table(TableName=stack.table_name)
    with pytest.raises(StorageUnavailable):
        PostbackStore(stack.table_name).save(seed("001_sms_mt_n202.xml"), RECEIVED)


def test_retention_sets_expires_at(stack: StackResources) -> None:
    PostbackStore(stack.table_name, retention_days=30).save(seed("001_sms_mt_n202.xml"), RECEIVED)
    items = boto3.client("dynamodb").scan(TableName=stack.table_name)["Items"]
    assert items
    assert all("expires_at" in item for item in items)
