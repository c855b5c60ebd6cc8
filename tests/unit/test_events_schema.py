"""The events' schema, their size bound, and the stream mapping's filter and settings, as the template declares them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from postbacks.service import events
from postbacks_local.mapping_settings import MappingSettings, mapping_settings, matches
from postbacks_local.stack_resources import DEFAULT_TEMPLATE
from postbacks_local.template import Names, function_definitions, load_template, parameter_defaults

TEMPLATE = load_template(DEFAULT_TEMPLATE)
RAW = b"<POSTBACK><TO>16501112222</TO></POSTBACK>"


def names(stack_name: str = "postbacks-dev", **parameters: str) -> Names:
    resources = {**{name: f"local-{name}" for name in TEMPLATE["Resources"]}, "EventBus": stack_name}
    return Names(
        {**parameter_defaults(TEMPLATE), **parameters}, resources, "us-east-1", stack_name, TEMPLATE["Conditions"]
    )


def settings() -> MappingSettings:
    [found] = mapping_settings(TEMPLATE, names())
    return found


def events_variables(**parameters: str) -> dict[str, str]:
    [function] = [d for d in function_definitions(TEMPLATE) if d.logical_id == "EventsFunction"]
    return function.environment(names(**parameters))


def postback_image(**extra: dict[str, Any]) -> dict[str, Any]:
    """A new postback item as the stream carries it (DynamoDB JSON), raw body included."""
    return {
        "pk": {"S": "TRK1"},
        "sk": {"S": "S#010#2012-06-07T12:27:29.000Z#abc"},
        "item": {"S": "postback"},
        "message_key": {"S": "TRK1"},
        "event_id": {"S": "abc"},
        "received_at": {"S": "2026-12-01T10:00:00.000Z"},
        "event_at": {"S": "2012-06-07T12:27:29.000Z"},
        "code": {"S": "N101"},
        "status": {"S": "sent"},
        "to": {"S": "16501112222"},
        "subscriber": {"S": "16501112222"},
        "raw": {"B": base64.b64encode(RAW).decode()},
        **extra,
    }


def media_image(item: str = "media") -> dict[str, Any]:
    return {
        "pk": {"S": "MO1"},
        "sk": {"S": "M#ev1#000"},
        "item": {"S": item},
        "message_key": {"S": "MO1"},
        "event_id": {"S": "ev1"},
        "index": {"N": "0"},
        "s3_uri": {"S": "s3://bucket/media/MO1/ev1/000"},
        "s3_bucket": {"S": "bucket"},
        "s3_key": {"S": "media/MO1/ev1/000"},
        "size": {"N": "1034"},
        "sha256": {"S": "ab" * 32},
        "content_type": {"S": "image/gif"},
        "url": {"S": "https://vendor.example/file.gif?token=x"},
    }


def record(event_name: str, image: dict[str, Any] | None) -> dict[str, Any]:
    dynamodb: dict[str, Any] = {"Keys": {"pk": image["pk"], "sk": image["sk"]} if image else {}}
    if image is not None:
        dynamodb["NewImage"] = image
    return {"eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": dynamodb}


def test_source_is_postbacks_and_the_stack_name() -> None:
    assert events_variables()["EVENT_SOURCE"] == "postbacks.postbacks-dev"
    assert events.source("postbacks-dev") == "postbacks.postbacks-dev"


@pytest.mark.parametrize("image", [postback_image(), media_image()])
def test_filter_passes_new_postbacks_and_archived_files(image: dict[str, Any]) -> None:
    assert matches(settings().patterns, record("INSERT", image))


@pytest.mark.parametrize(
    "stream_record",
    [
        record("MODIFY", postback_image()),
        record("REMOVE", None),
        record("INSERT", media_image("media_failed")),
        record("INSERT", {key: value for key, value in postback_image().items() if key != "item"}),
    ],
    ids=["modify", "remove", "media-failed", "no-item-attribute"],
)
def test_filter_drops_everything_else(stream_record: dict[str, Any]) -> None:
    assert not matches(settings().patterns, stream_record)


def test_plain_image_drops_binary_attributes() -> None:
    plain = events.plain_image(postback_image())
    assert "raw" not in plain
    assert plain["code"] == "N101"


def test_postback_received_schema() -> None:
    item = events.plain_image(postback_image())
    deciding = {**item, "code": "N102", "status": "delivered", "event_id": "def"}
    [event] = events.events_for([item], lambda key: deciding)
    assert event.detail_type == "Postback Received"
    assert event.detail == {
        "message_key": "TRK1",
        "event_id": "abc",
        "precedence": "S#010#2012-06-07T12:27:29.000Z#abc",
        "received_at": "2026-12-01T10:00:00.000Z",
        "event_at": "2012-06-07T12:27:29.000Z",
        "postback": {"code": "N101", "status": "sent", "to": "16501112222"},
        "message": {"status": "delivered", "status_code": "N102", "final": True, "decided_by": "def"},
    }


def test_postback_alone_decides_when_nothing_else_is_read() -> None:
    [event] = events.events_for([events.plain_image(postback_image())], lambda key: None)
    assert event.detail["message"] == {"status": "sent", "status_code": "N101", "final": False, "decided_by": "abc"}


def test_media_archived_schema_leaves_out_the_source_url() -> None:
    [event] = events.events_for([events.plain_image(media_image())], lambda key: None)
    assert event.detail_type == "Media Archived"
    assert event.detail == {
        "message_key": "MO1",
        "event_id": "ev1",
        "index": 0,
        "s3_uri": "s3://bucket/media/MO1/ev1/000",
        "size": 1034,
        "sha256": "ab" * 32,
        "content_type": "image/gif",
    }


def test_one_status_read_per_message_in_a_batch() -> None:
    reads: list[str] = []

    def deciding(key: str) -> None:
        reads.append(key)

    items = [
        events.plain_image(postback_image()),
        events.plain_image(postback_image(event_id={"S": "xyz"})),
        events.plain_image(postback_image(message_key={"S": "TRK2"}, pk={"S": "TRK2"})),
        events.plain_image(media_image()),
    ]
    assert len(events.events_for(items, deciding)) == 4
    assert reads == ["TRK1", "TRK2"]


def test_items_that_are_neither_postback_nor_media_publish_nothing() -> None:
    assert events.events_for([events.plain_image(media_image("media_failed"))], lambda key: None) == []


@pytest.mark.parametrize(
    ("status", "final"),
    [
        *[("sent", False), ("unrecognised", False), ("nonsense", False), ("delivered", True), ("failed", True)],
        *[("received", True), ("saved", True), ("expired", True), ("rejected", True), ("not_supported", True)],
    ],
)
def test_final_means_an_outcome(status: str, final: bool) -> None:
    assert events.is_final(status) is final


def test_every_events_resource_is_off_when_publishing_is() -> None:
    names = ["EventsFunction", "EventsStreamMapping", "EventArchive", "EventsDeadLetterQueue"]
    names += ["EventsDeadLetterAlarm", "EventsLogGroup"]
    resources = TEMPLATE["Resources"]
    assert {resources[name].get("Condition") for name in names} == {"PublishesEvents"}
    assert resources["EventBus"]["Condition"] == "CreatesEventBus"


def test_no_pipe_is_left_in_the_template() -> None:
    types = {body["Type"] for body in TEMPLATE["Resources"].values()}
    assert not {t for t in types if t.startswith("AWS::Pipes::")}


def test_publishing_off_makes_no_local_mapping() -> None:
    assert mapping_settings(TEMPLATE, names(PublishEvents="false")) == []


def test_the_stack_bus_or_the_default_bus() -> None:
    assert events_variables()["EVENT_BUS_NAME"] == "postbacks-dev"
    assert events_variables(EventBusTarget="default")["EVENT_BUS_NAME"] == "default"


def test_the_mapping_feeds_the_events_function_from_the_latest_record() -> None:
    found = settings()
    assert (found.function, found.table, found.starting_position) == ("EventsFunction", "PostbacksTable", "LATEST")
    assert found.batch_size == 10
    assert found.window_seconds > 0


def test_the_mapping_bounds_failure_and_parks_it_in_the_dlq() -> None:
    found = settings()
    assert found.bisect
    assert found.report_failures
    assert 0 <= found.max_retries <= 10
    assert 0 < found.max_age_seconds <= 24 * 3600  # a stream keeps records 24 hours
    assert found.destination == "EventsDeadLetterQueue"


def test_the_filter_names_the_items_storage_writes() -> None:
    from postbacks.storage import codec

    [pattern] = settings().patterns
    assert pattern["dynamodb"]["NewImage"]["item"]["S"] == [codec.POSTBACK_ITEM, codec.MEDIA_ITEM]
    assert pattern["eventName"] == ["INSERT"]


# --- precedence ----------------------------------------------------------------------------------------


def test_precedence_is_the_stored_sort_key() -> None:
    sent = events.plain_image(postback_image())
    delivered = events.plain_image(postback_image(sk={"S": "S#020#2012-06-07T12:27:30.000Z#def"}))
    [first, second] = events.events_for([sent, delivered], lambda key: None)
    assert (first.detail["precedence"], second.detail["precedence"]) == (sent["sk"], delivered["sk"])


# --- the size bound ------------------------------------------------------------------------------------

SOURCE = "postbacks.postbacks-a-rather-long-stack-name-for-the-bound"
# Values a bound must survive: 4-byte characters, escaped quotes and backslashes, control characters.
NASTY = st.text(alphabet=st.sampled_from(["a", "é", "😀", '"', "\\", "\x01", "\n", "\u2028", "中"]), min_size=1)
HUGE = st.builds(lambda unit, times: unit * times, NASTY.filter(lambda t: len(t) <= 8), st.integers(0, 70_000))
VALUE = st.one_of(st.text(max_size=40), HUGE)
FIELD_NAMES = st.sampled_from(["text", "subject", "status_text", "operator_name", "handset", "email", "origin"])


@st.composite
def postback_items(draw: st.DrawFn) -> dict[str, Any]:
    event_id = draw(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32))
    message_key = draw(st.text(min_size=1, max_size=200))
    item: dict[str, Any] = {
        "pk": message_key,
        "sk": f"S#010#2012-06-07T12:27:29.000Z#{event_id}",
        "item": "postback",
        "message_key": message_key,
        "event_id": event_id,
        "received_at": "2026-12-01T10:00:00.000000Z",
        "code": draw(st.text(min_size=1, max_size=32)),
        "status": "sent",
        **draw(st.dictionaries(FIELD_NAMES, VALUE, max_size=4)),
        "extra": draw(st.dictionaries(st.text(max_size=200), VALUE, max_size=5)),
    }
    item["content"] = draw(st.lists(VALUE, max_size=3))
    return item


def entry_of(event: events.Event) -> dict[str, str]:
    return events.fitted(event, SOURCE).entry(SOURCE, "bus")


def utf8_size(entry: dict[str, str]) -> int:
    # PutEvents' rule, written out: Source + DetailType + Detail, each in UTF-8 bytes.
    return sum(len(entry[name].encode("utf-8")) for name in ("Source", "DetailType", "Detail"))


@examples(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(item=postback_items(), deciding_code=st.text(min_size=1, max_size=32))
def test_every_postback_entry_is_within_the_bound_and_keeps_what_finds_it(
    item: dict[str, Any], deciding_code: str
) -> None:
    event = events.postback_received(item, {"code": deciding_code, "status": "delivered", "event_id": "e" * 32})
    entry = entry_of(event)
    assert utf8_size(entry) == events.entry_size(entry) <= events.MAX_ENTRY_BYTES
    detail = json.loads(entry["Detail"])
    for kept in ("message_key", "event_id", "message", "precedence"):
        assert detail[kept] == event.detail[kept]
    if detail.get("truncated"):
        assert detail["cut"]
        assert all(path.split(".")[-1] not in detail.get("postback", {}) for path in detail["cut"])
    else:
        assert detail == event.detail  # within the bound: published whole


@examples(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(content_type=VALUE, s3_uri=VALUE)
def test_every_media_entry_is_within_the_bound(content_type: str, s3_uri: str) -> None:
    item = {**events.plain_image(media_image()), "content_type": content_type, "s3_uri": s3_uri}
    entry = entry_of(events.media_archived(item))
    assert events.entry_size(entry) <= events.MAX_ENTRY_BYTES
    assert json.loads(entry["Detail"])["event_id"] == "ev1"


def test_an_emoji_costs_four_bytes_and_a_control_character_six() -> None:
    plain = events.Event("T", {"v": "a"}).entry("s", "bus")
    assert events.entry_size(events.Event("T", {"v": "😀"}).entry("s", "bus")) == events.entry_size(plain) + 3
    assert events.entry_size(events.Event("T", {"v": "\x01"}).entry("s", "bus")) == events.entry_size(plain) + 5


def test_ninety_five_thousand_emoji_are_published_cut_with_the_marker() -> None:
    item = {**events.plain_image(postback_image()), "extra": {"ACCOUNT": "😀" * 95_000}, "text": "hello"}
    event = events.postback_received(item, None)
    assert events.entry_size(event.entry(SOURCE, "bus")) > events.MAX_ENTRY_BYTES
    detail = json.loads(entry_of(event)["Detail"])
    assert detail["truncated"] is True
    assert detail["cut"] == ["postback.extra"]
    assert detail["postback"]["text"] == "hello"  # only what had to go went


def test_an_entry_within_the_bound_is_published_whole() -> None:
    event = events.postback_received(events.plain_image(postback_image()), None)
    assert events.fitted(event, SOURCE) is event
