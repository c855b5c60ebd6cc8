"""The events' schema and the pipe's filter and transformers, as the template declares them."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from postbacks.service import events
from postbacks_local.event_pipe import PipeSettings, detail_type_of, json_path, matches, pipe_settings, render
from postbacks_local.stack_resources import DEFAULT_TEMPLATE
from postbacks_local.template import Names, load_template, parameter_defaults

TEMPLATE = load_template(DEFAULT_TEMPLATE)
RAW = b"<POSTBACK><TO>16501112222</TO></POSTBACK>"


def names(stack_name: str = "postbacks-dev", **parameters: str) -> Names:
    return Names({**parameter_defaults(TEMPLATE), **parameters}, {}, "us-east-1", stack_name)


def settings() -> PipeSettings:
    found = pipe_settings(TEMPLATE, names())
    assert found is not None
    return found


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
    assert settings().source == "postbacks.postbacks-dev"
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


def test_enrichment_template_hands_over_the_new_image() -> None:
    image = postback_image()
    assert render(settings().enrichment_template, record("INSERT", image)) == image


def test_target_template_and_detail_type_come_from_the_enrichment_output() -> None:
    output = events.Event("Postback Received", {"message_key": "TRK1"}).as_pipe_output()
    assert render(settings().target_template, output) == {"message_key": "TRK1"}
    assert detail_type_of(settings(), output) == "Postback Received"


def test_json_path_reads_dots_dashes_and_indexes() -> None:
    assert json_path({"a": {"b-c": [1, {"d": 2}]}}, "$.a.b-c[1].d") == 2
    assert json_path({"a": {}}, "$.a.b.c") is None


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
        "received_at": "2026-12-01T10:00:00.000Z",
        "event_at": "2012-06-07T12:27:29.000Z",
        "precedence": "S#010#2012-06-07T12:27:29.000Z#abc",
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
    names = ["EventsFunction", "EventsPipe", "EventsPipeRole", "EventArchive", "EventsDeadLetterQueue"]
    names += ["EventsDeadLetterAlarm", "EventsLogGroup"]
    resources = TEMPLATE["Resources"]
    assert {resources[name].get("Condition") for name in names} == {"PublishesEvents"}
    assert resources["EventBus"]["Condition"] == "CreatesEventBus"


def test_publishing_off_makes_no_local_pipe() -> None:
    assert pipe_settings(TEMPLATE, names(PublishEvents="false")) is None


def test_the_stack_bus_or_the_default_bus() -> None:
    assert settings().bus_name == "postbacks-dev"
    found = pipe_settings(TEMPLATE, names(EventBusTarget="default"))
    assert found is not None
    assert found.bus_name == "default"


def test_the_enrichment_is_the_events_function() -> None:
    assert settings().enrichment_function == "EventsFunction"


def test_the_filter_names_the_items_storage_writes() -> None:
    from postbacks.storage import codec

    [pattern] = settings().patterns
    assert pattern["dynamodb"]["NewImage"]["item"]["S"] == [codec.POSTBACK_ITEM, codec.MEDIA_ITEM]
    assert pattern["eventName"] == ["INSERT"]
