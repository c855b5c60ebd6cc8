"""Stored items (storage.codec, storage.fragments): what a postback costs, what the indexes see, raw kept whole."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from postbacks.domain import decoding, parsing
from postbacks.domain.models import Postback
from postbacks.storage import codec, fragments, keys
from tests.benchmarks.item_size import INDEX_ENTRY_OVERHEAD, index_entry, item_size, write_units
from tests.helpers import ROOT, SEEDS

RECEIVED = "2026-11-22T10:00:00.000Z"


def seed(name: str) -> tuple[bytes, Postback]:
    raw = (SEEDS / name).read_bytes()
    (postback,) = parsing.parse(decoding.payload(raw, None)).postbacks
    return raw, postback


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def table_indexes() -> list[dict[str, Any]]:
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=_Loader)
    indexes: list[dict[str, Any]] = template["Resources"]["PostbacksTable"]["Properties"]["GlobalSecondaryIndexes"]
    return indexes


def units_of(item: dict[str, Any]) -> int:
    typed = codec.serialise(item)
    total = write_units(item_size(typed))
    for index in table_indexes():
        projection = index["Projection"]
        entry = index_entry(
            typed, [key["AttributeName"] for key in index["KeySchema"]], projection.get("NonKeyAttributes", [])
        )
        if entry is not None:
            total += write_units(item_size(entry) + INDEX_ENTRY_OVERHEAD)
    return total


def test_a_typical_dlr_fits_one_kb_and_costs_one_write_unit() -> None:
    raw, postback = seed("001_mms_mt_n102_binary.xml")
    item = codec.postback_item(postback, RECEIVED, raw, message_indexed=True)
    assert item_size(codec.serialise(item)) <= 1024
    assert units_of(item) == 1  # the table alone: its message is in the index through its send report


def test_a_receipt_alone_enters_the_number_index() -> None:
    raw, postback = seed("001_mms_mt_n102_binary.xml")
    assert codec.postback_item(postback, RECEIVED, raw)["subscriber"] == keys.subscriber(postback)


def test_a_send_report_costs_two_write_units_the_table_and_the_subscriber_index() -> None:
    raw, postback = seed("001_mms_mt_n101_binary.xml")
    item = codec.postback_item(postback, RECEIVED, raw)
    assert units_of(item) == 2


def test_no_index_projects_the_raw_bytes_or_carries_all_attributes() -> None:
    for index in table_indexes():
        assert index["Projection"]["ProjectionType"] != "ALL"
        assert "raw" not in index["Projection"].get("NonKeyAttributes", [])


def test_no_index_is_keyed_on_a_value_a_campaign_shares() -> None:
    keyed = {key["AttributeName"] for index in table_indexes() for key in index["KeySchema"]}
    assert keyed.isdisjoint({"from", "to", "mms_id", "code", "status"})


@pytest.mark.parametrize(("name", "failure"), [("001_mms_mt_n102_binary.xml", False), ("002_mms_mt_e102.xml", True)])
def test_only_failures_carry_the_failure_index_key(name: str, failure: bool) -> None:
    raw, postback = seed(name)
    assert ("failure_bucket" in codec.postback_item(postback, RECEIVED, raw)) is failure


def test_item_carries_the_contract_fields_and_gives_back_the_raw_bytes() -> None:
    raw, postback = seed("002_mms_mt_e102.xml")
    item = codec.postback_item(postback, RECEIVED, raw)
    assert (item["item"], item["message_key"], item["status"]) == ("postback", "TU1TXzU5Nzg3Nw==", "rejected")
    assert postback.canonical().items() <= item.items()
    event = codec.event_of(item)
    assert event.raw == raw
    assert event.fields == postback.canonical()


def test_undated_postback_is_dated_by_arrival_for_listing_only() -> None:
    raw, postback = seed("002_mms_mt_e102.xml")
    item = codec.postback_item(postback, RECEIVED, raw)
    assert item["event_at"] == RECEIVED
    assert "#-#" in item["sk"]  # the status order never sees the arrival time


def test_media_record_says_archived_or_failed() -> None:
    archived = codec.media_item("MO1", "e" * 32, 0, {"state": "archived", "s3_uri": "s3://b/k", "detail": ""})
    failed = codec.media_item("MO1", "e" * 32, 1, {"state": "not_found", "url": "https://x/y"})
    assert (archived["item"], failed["item"]) == ("media", "media_failed")
    assert "detail" not in archived
    assert archived["sk"] != failed["sk"]


def test_each_notification_fragment_parses_back_to_its_postback() -> None:
    body = (
        b"<?xml version='1.0'?>\n<POSTBACK>"
        + b"".join(
            b'<NOTIFICATION id="%d"><CODE>N211</CODE><BODY><FROM>1555000%04d</FROM><TO>86717</TO></BODY></NOTIFICATION>'
            % (n, n)
            for n in range(3)
        )
        + b"</POSTBACK>"
    )
    parsed = parsing.parse(decoding.payload(body, None))
    bundle = fragments.split(decoding.payload(body, None))
    assert bundle is not None
    head, tail = bundle.envelope(0)  # the bundle without its other notifications
    assert b"".join((head, *bundle.notifications, tail)) == body
    for index, postback in enumerate(parsed.postbacks):
        (alone,) = parsing.parse(decoding.payload(bundle.standalone(index), None)).postbacks
        assert alone.fingerprint() == postback.fingerprint()


def test_fragments_include_namespaced_notifications_as_the_parser_does() -> None:
    body = b'<POSTBACK xmlns:x="u"><x:NOTIFICATION/><NOTIFICATION a="/>"/></POSTBACK>'
    bundle = fragments.split(decoding.payload(body, None))
    assert bundle is not None
    assert bundle.notifications == (b"<x:NOTIFICATION/>", b'<NOTIFICATION a="/>"/>')


def test_fragments_refuse_a_doctype() -> None:
    assert fragments.split(decoding.payload(b"<!DOCTYPE x><POSTBACK/>", None)) is None
