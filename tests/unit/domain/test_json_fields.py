"""JSON objects to fields: every scalar kept as its JSON text, duplicates and nesting by path."""

from __future__ import annotations

from typing import Any

import pytest

from postbacks.domain import json_fields
from postbacks.domain.fields import Collector
from postbacks.domain.json_fields import Number
from tests.helpers import canonical

MO = {"dialect": "sinch_json", "code": "N211", "kind": "sms_mo", "status": "received"}


def test_scalars_keep_their_json_text_and_nesting_its_path() -> None:
    raw = b'{"code": "N211", "to": null, "n": 1.10, "big": 1e400, "t": true, "f": false, "o": {"a": [1, {"b": null}]}}'
    assert canonical(raw) == [
        {
            **MO,
            "extra": {
                "to": "null",
                "n": "1.10",
                "big": "1e400",
                "t": "true",
                "f": "false",
                "o.a[0]": "1",
                "o.a[1].b": "null",
            },
        }
    ]


def test_a_duplicate_key_is_kept_not_overwritten() -> None:
    assert canonical(b'{"code": "N211", "code": "N202"}') == [{**MO, "extra": {"code": "N202"}}]


def test_each_content_item_is_a_file_url_or_string_and_the_rest_is_kept() -> None:
    raw = b'{"code": "N211", "content": [{"file": "u1", "type": "image"}, "u2", null, [3], {"url": " "}, {"x": "y"}]}'
    assert canonical(raw) == [
        {
            **MO,
            "content": ["u1", "u2"],
            "extra": {"content[0].type": "image", "content[2]": "null", "content[3][0]": "3", "content[5].x": "y"},
        }
    ]


def test_a_single_object_in_a_list_field_is_a_list_of_one() -> None:
    assert canonical(b'{"code": "N211", "copy-to": {"number": "155"}}') == [{**MO, "copy_to": ["155"]}]


def test_the_number_of_a_copy_to_object_is_the_item_and_a_json_number_counts() -> None:
    raw = b'{"code": "N211", "copy-to": [{"name": "a", "url": "u", "number": "155"}, {"number": 5}]}'
    assert canonical(raw) == [{**MO, "copy_to": ["155", "5"], "extra": {"copy-to[0].name": "a", "copy-to[0].url": "u"}}]


def test_a_scalar_list_field_is_one_item() -> None:
    assert canonical(b'{"code": "N211", "content": "u3"}') == [{**MO, "content": ["u3"]}]
    assert canonical(b'{"code": "N211", "content": true}') == [{**MO, "content": ["true"]}]


def test_an_array_under_a_scalar_field_goes_to_extra() -> None:
    assert canonical(b'{"code": "N211", "text": ["a", "b"]}') == [{**MO, "extra": {"text[0]": "a", "text[1]": "b"}}]


def test_a_flat_form_reads_as_a_json_object_of_strings() -> None:
    fields = json_fields.pairs_fields((("code", "N201"), ("x", "null")), Collector())
    assert fields == {"code": "N201", "extra": {"x": "null"}}


@pytest.mark.parametrize(
    ("document", "kind"),
    [(Number("1"), "a number"), ("s", "a string"), ([], "an array"), (None, "null"), (True, "a boolean")],
)
def test_describe_names_what_a_json_document_is(document: Any, kind: str) -> None:
    assert json_fields.describe(document) == kind


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        ("s", "s"),
        (Number("1.10"), "1.10"),
        ([], None),
        (json_fields.Pairs(), None),
    ],
)
def test_scalar_text_is_the_json_text_of_a_scalar(value: Any, text: str | None) -> None:
    assert json_fields.scalar_text(value) == text


def test_load_reads_utf16_json() -> None:
    assert json_fields.load('{"a": 1}'.encode("utf-16")) == [("a", "1")]


def test_load_keeps_a_lone_surrogate_the_sender_encoded() -> None:
    assert json_fields.load(b'"\xed\xa0\x80"') == "\ud800"


def test_an_empty_string_deep_in_an_object_carries_nothing() -> None:
    assert canonical(b'{"code": "N211", "o": {"a": "", "b": "1"}}') == [{**MO, "extra": {"o.b": "1"}}]
