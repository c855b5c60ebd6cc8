"""DynamoDB store over moto's HTTP endpoint: one item per postback, status from the set, keys, lookups, raw bytes."""

from __future__ import annotations

import itertools
import os

import boto3
import pytest

from postbacks.domain import decoding, parsing
from postbacks.domain.models import Postback
from postbacks.storage.store import PostbackStore, StorageRefused, StorageUnavailable
from postbacks_cli.local_stacks import StackResources
from tests.helpers import SEEDS

RECEIVED = "2026-11-22T10:00:00.000Z"
LATER = "2026-11-22T10:05:00.000Z"


def seed(name: str) -> Postback:
    (postback,) = parsing.parse(decoding.payload((SEEDS / name).read_bytes(), None)).postbacks
    return postback


def with_code(postback: Postback, code: str, status_text: str, timestamp: str | None) -> Postback:
    fields = postback.canonical() | {"code": code, "status_text": status_text}
    fields.pop("timestamp", None)
    if timestamp:
        fields["timestamp_original"] = timestamp
    else:
        fields.pop("timestamp_original", None)
    return Postback.model_validate(fields)


@pytest.fixture
def store(stack: StackResources) -> PostbackStore:
    return PostbackStore(stack.table_name)


def test_lifecycle_keeps_every_event_oldest_first(store: PostbackStore) -> None:
    store.save(seed("001_mms_mt_n102_binary.xml"), RECEIVED)
    store.save(seed("001_mms_mt_n101_binary.xml"), LATER)
    message = store.get_message("TU1TXzU5Nzg3OQ==")
    assert message is not None
    assert [event.fields["code"] for event in message.events] == ["N101", "N102"]
    assert (message.status, message.status_code) == ("delivered", "N102")


def test_current_status_is_one_query_of_limit_one(store: PostbackStore) -> None:
    store.save(seed("001_mms_mt_n102_binary.xml"), RECEIVED)
    store.save(seed("001_mms_mt_n101_binary.xml"), LATER)
    calls: list[dict[str, object]] = []
    store.client.meta.events.register("before-parameter-build.dynamodb.*", lambda params, **_: calls.append(params))
    current = store.current("TU1TXzU5Nzg3OQ==")
    assert current is not None
    assert current.fields["code"] == "N102"
    assert len(calls) == 1
    assert calls[0]["Limit"] == 1


def test_redelivery_adds_no_second_item(store: PostbackStore, stack: StackResources) -> None:
    n202 = seed("001_sms_mt_n202.xml")
    results = [store.save(n202, RECEIVED if n == 0 else LATER) for n in range(5)]
    assert [result.new for result in results] == [True, False, False, False, False]
    assert boto3.client("dynamodb").scan(TableName=stack.table_name)["Count"] == 1


@pytest.mark.parametrize("order", list(itertools.permutations(["N201", "N202", "E202"])))
def test_every_arrival_order_gives_the_same_final_status(store: PostbackStore, order: tuple[str, ...]) -> None:
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


def test_retried_undated_e102_does_not_flip_a_delivered_message(store: PostbackStore) -> None:
    n102 = seed("001_mms_mt_n102_binary.xml")
    e102 = with_code(n102, "E102", "Message Sent/Rejected", None)
    store.save(e102, RECEIVED)
    store.save(n102, "2026-11-22T10:00:01.000Z")
    store.save(e102, LATER)  # the sender's retry, five minutes later
    message = store.get_message("TU1TXzU5Nzg3OQ==")
    assert message is not None
    assert (message.status, len(message.events)) == ("delivered", 2)


def test_tracking_id_shaped_like_a_generated_key_keeps_its_own_message(store: PostbackStore) -> None:
    saved = store.save(seed("001_save_mms_n003.xml"), RECEIVED)
    tracked = store.save(
        with_code(seed("001_mms_mt_n102_binary.xml"), "N102", "Delivered", None).model_copy(
            update={"tracking_id": "mms:35674"}
        ),
        RECEIVED,
    )
    assert (saved.message_key, tracked.message_key) == ("~mms:35674", "mms:35674")
    message = store.get_message("~mms:35674")
    assert message is not None
    assert [event.fields["code"] for event in message.events] == ["N003"]


def test_sms_mo_gets_a_deterministic_key_and_is_found_by_its_sender(store: PostbackStore) -> None:
    first = store.save(seed("004_sms_mo_n211.xml"), RECEIVED)
    again = store.save(seed("004_sms_mo_n211.xml"), LATER)
    assert first.message_key == again.message_key
    assert first.message_key.startswith("~pb:")
    assert not again.new
    assert [hit.message_key for hit in store.by_subscriber("16311112222")] == [first.message_key]
    assert list(store.by_subscriber("60856")) == []  # the shortcode is no index key


def test_subscriber_listing_is_newest_first_and_time_bounded(store: PostbackStore) -> None:
    later = with_code(seed("001_mms_mt_n101_binary.xml"), "N101", "Message Sent", "2012-06-08T07:00:00-05:00")
    for postback in (seed("001_mms_mt_n101_binary.xml"), seed("001_mms_mt_n102_binary.xml")):
        store.save(postback, RECEIVED)
    store.save(later.model_copy(update={"tracking_id": "LATER"}), RECEIVED)
    hits = list(store.by_subscriber("16501112222"))
    # The delivery receipt is filed under no number: its send report stands for the message.
    assert [(hit.message_key, hit.code) for hit in hits] == [("LATER", "N101"), ("TU1TXzU5Nzg3OQ==", "N101")]
    bounded = list(store.by_subscriber("16501112222", since="2012-06-07T13:00:00.000Z"))
    assert [hit.message_key for hit in bounded] == ["LATER"]
    event = store.event(hits[1])
    assert event is not None
    assert event.fields["status"] == "sent"
    current = store.current("TU1TXzU5Nzg3OQ==")
    assert current is not None
    assert current.fields["status"] == "delivered"


def test_failures_are_listed_by_window_and_code(store: PostbackStore) -> None:
    store.save(seed("002_mms_mt_e102.xml"), RECEIVED)
    store.save(seed("001_mms_mt_e101.xml"), RECEIVED)
    store.save(seed("002_mms_mt_n101_binary.xml"), RECEIVED)
    window = {"since": "2026-11-21T00:00:00.000Z", "until": "2026-11-23T00:00:00.000Z"}
    assert sorted(hit.code for hit in store.failures(**window)) == ["E101", "E102"]
    found = list(store.failures(**window, filters={"code": "E102"}))
    assert [(hit.message_key, hit.status) for hit in found] == [("TU1TXzU5Nzg3Nw==", "rejected")]
    assert list(store.failures(since="2026-11-23T00:00:00.000Z", until="2026-11-24T00:00:00.000Z")) == []


def test_raw_bytes_come_back_exactly(store: PostbackStore) -> None:
    raw = (SEEDS / "001_mms_mt_n102_binary.xml").read_bytes() + b"\xff\x00 trailing"
    store.save(seed("001_mms_mt_n102_binary.xml"), RECEIVED, raw)
    message = store.get_message("TU1TXzU5Nzg3OQ==")
    assert message is not None
    assert message.events[0].raw == raw


def test_media_records_are_per_postback(store: PostbackStore) -> None:
    assert store.record_media("MO1", "a" * 32, 0, {"state": "archived", "s3_uri": "s3://b/k"})
    assert not store.record_media("MO1", "a" * 32, 0, {"state": "archived", "s3_uri": "s3://b/k"})
    assert store.record_media("MO1", "b" * 32, 0, {"state": "not_found"})
    message = store.get_message("MO1")
    assert message is not None
    assert [(record["event_id"][0], record["item"]) for record in message.media] == [
        ("a", "media"),
        ("b", "media_failed"),
    ]


def test_too_large_item_is_refused_for_good(store: PostbackStore) -> None:
    with pytest.raises(StorageRefused):
        store.save(seed("001_sms_mt_n202.xml"), RECEIVED, os.urandom(420_000))  # incompressible: over 400 KB


def test_storage_down_raises_storage_unavailable(stack: StackResources) -> None:
    boto3.client("dynamodb").delete_table(TableName=stack.table_name)
    with pytest.raises(StorageUnavailable):
        PostbackStore(stack.table_name).save(seed("001_sms_mt_n202.xml"), RECEIVED)


def test_retention_sets_expires_at(stack: StackResources) -> None:
    PostbackStore(stack.table_name, retention_days=30).save(seed("001_sms_mt_n202.xml"), RECEIVED)
    items = boto3.client("dynamodb").scan(TableName=stack.table_name)["Items"]
    assert items
    assert all("expires_at" in item for item in items)
