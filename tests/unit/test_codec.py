"""Items as DynamoDB holds them (storage.codec): every attribute of a stored postback and media record read back."""

from __future__ import annotations

import zlib
from decimal import Decimal

from boto3.dynamodb.types import Binary

from postbacks.domain import decoding, parsing
from postbacks.storage import codec, keys
from tests.helpers import SEEDS

RECEIVED = "2026-12-05T00:00:00.000000Z"


def stored(name: str) -> tuple[bytes, dict[str, object]]:
    raw = (SEEDS / name).read_bytes()
    (postback,) = parsing.parse(decoding.payload(raw, None)).postbacks
    return raw, codec.postback_item(postback, RECEIVED, raw)


def test_a_stored_postback_reads_back_with_every_bookkeeping_attribute() -> None:
    raw, item = stored("001_mms_mt_n101_binary.xml")
    event = codec.event_of(item)
    assert event.message_key == "TU1TXzU5Nzg3OQ=="
    assert event.event_id == item["event_id"]
    assert len(event.event_id) == 32
    assert event.received_at == RECEIVED
    assert event.event_at == "2012-06-07T12:27:29.000000Z"  # the vendor's time, not the arrival
    assert event.raw == raw
    assert not set(event.fields) & {"pk", "sk", "raw", "subscriber", "failure_bucket", "event_id", "received_at"}
    assert event.as_json() == {"message_key": "TU1TXzU5Nzg3OQ==", **event.fields, "received_at": RECEIVED}


def test_an_item_without_event_id_takes_it_from_its_sort_key_and_missing_times_are_empty() -> None:
    _, item = stored("002_mms_mt_e102.xml")
    bare = {name: value for name, value in item.items() if name not in ("event_id", "received_at", "event_at", "raw")}
    event = codec.event_of(bare)
    assert event.event_id == str(item["sk"]).rsplit("#", 1)[-1] == item["event_id"]
    assert (event.received_at, event.event_at, event.raw) == ("", "", None)
    # The item's own event_id, when present, is the one read.
    assert codec.event_of({**item, "event_id": "own"}).event_id == "own"


def test_a_failure_carries_its_failure_bucket() -> None:
    _, item = stored("002_mms_mt_e102.xml")
    assert item["failure_bucket"] == keys.failure_bucket("TU1TXzU5Nzg3Nw==", str(item["event_at"]))


def test_the_raw_bytes_are_stored_compressed() -> None:
    raw, item = stored("001_mms_mt_n101_binary.xml")
    assert item["raw"] == zlib.compress(raw, 9)
    assert len(item["raw"]) < len(raw)  # type: ignore[arg-type]


def test_an_undated_postback_has_its_arrival_as_event_time() -> None:
    body = b"<POSTBACK><CODE>N101</CODE><TRACKINGID>t1</TRACKINGID><TO>+1 650 555 0142</TO></POSTBACK>"
    (postback,) = parsing.parse(decoding.payload(body, None)).postbacks
    item = codec.postback_item(postback, RECEIVED, None)
    assert item["event_at"] == RECEIVED
    assert "raw" not in item
    assert item["subscriber"] == "16505550142"
    assert item["sk"] == keys.postback_sk(codec.status.precedence(postback))


def test_a_media_record_item_carries_its_keys_and_drops_empty_values() -> None:
    record = {"state": "archived", "url": "https://m.example/a.jpg", "s3_uri": "s3://b/k", "detail": "", "x": None}
    item = codec.media_item("MK", "e" * 32, 2, record)
    assert item == {
        "state": "archived",
        "url": "https://m.example/a.jpg",
        "s3_uri": "s3://b/k",
        "pk": "MK",
        "sk": f"M#{'e' * 32}#002",
        "item": "media",
        "message_key": "MK",
        "event_id": "e" * 32,
        "index": 2,
    }
    failed = codec.media_item("MK", "e" * 32, 0, {"state": "not_found", "detail": "HTTP 404"})
    assert (failed["item"], failed["detail"]) == ("media_failed", "HTTP 404")
    assert codec.media_of({**item, "expires_at": 1}) == {
        name: value for name, value in item.items() if name not in ("pk", "sk")
    }


def test_plain_values_come_back_as_python_values() -> None:
    typed = codec.serialise({"n": 3, "s": "x", "b": b"\x00\x01", "l": [1, "a"], "m": {"k": 2}, "t": True})
    assert typed["n"] == {"N": "3"}
    assert typed["b"] == {"B": b"\x00\x01"}
    assert codec.plain(typed) == {"n": 3, "s": "x", "b": b"\x00\x01", "l": [1, "a"], "m": {"k": 2}, "t": True}
    assert type(codec.plain(typed)["n"]) is int


def test_numbers_binaries_lists_and_maps_are_unwrapped_at_any_depth() -> None:
    nested = {"a": [Decimal(1), {"b": Binary(b"z")}], "c": Decimal(7)}
    plain = codec._from_dynamo(nested)
    assert plain == {"a": [1, {"b": b"z"}], "c": 7}
    assert type(plain["a"][1]["b"]) is bytes  # boto3's Binary equals its bytes: the type tells them apart
    assert codec._from_dynamo("text") == "text"
