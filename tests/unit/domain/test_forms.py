"""Form bodies: the first `xml` field is the postback, every other field is kept, in order."""

from __future__ import annotations

import pytest

from postbacks.domain import forms
from postbacks.domain.errors import PostbackRejected, Reason
from postbacks.domain.forms import Form


def test_a_flat_form_is_its_fields_decoded_in_order() -> None:
    assert forms.parse_form(b"code=N201&to=%2B1555+1234", None) == Form(None, (("code", "N201"), ("to", "+1555 1234")))


def test_form_field_after_another_is_found() -> None:
    assert forms.parse_form(b"a=1&xml=%3CA%2F%3E", None) == Form(b"<A/>", (("a", "1"),))


def test_the_xml_field_name_is_matched_in_any_case() -> None:
    assert forms.parse_form(b"XML=%3CA%2F%3E&b=2", None) == Form(b"<A/>", (("b", "2"),))


def test_a_second_xml_field_is_kept_as_a_field() -> None:
    assert forms.parse_form(b"xml=%3CA%2F%3E&xml=%3CB%2F%3E", None) == Form(b"<A/>", (("xml", "<B/>"),))


def test_an_unencoded_xml_value_is_taken_literally_plus_signs_and_ampersands_too() -> None:
    body = b"xml=<A>a+b&amp;c</A>&token=1"
    assert forms.parse_form(body, None) == Form(b"<A>a+b&amp;c</A>", (("token", "1"),))


def test_an_unencoded_json_value_ends_at_its_last_brace() -> None:
    assert forms.parse_form(b'xml={"a":"x+y"}&b=2', None) == Form(b'{"a":"x+y"}', (("b", "2"),))


def test_an_unencoded_value_after_blanks_is_taken_literally() -> None:
    assert forms.parse_form(b"xml= [1+2]", None) == Form(b" [1+2]", ())


def test_an_unencoded_value_followed_by_other_text_runs_to_the_end() -> None:
    assert forms.parse_form(b"xml=<A/>junk", None) == Form(b"<A/>junk", ())


def test_an_unencoded_value_without_its_closer_runs_to_the_end() -> None:
    assert forms.parse_form(b"a=1&xml=<A", None) == Form(b"<A", (("a", "1"),))


def test_empty_pieces_between_ampersands_are_skipped() -> None:
    assert forms.parse_form(b"&&a=1&&b=&", None) == Form(None, (("a", "1"), ("b", "")))


def test_a_name_without_a_value_is_a_field_with_an_empty_value() -> None:
    assert forms.parse_form(b"a=1&flag", None) == Form(None, (("a", "1"), ("flag", "")))


def test_surrounding_blanks_of_the_body_are_dropped() -> None:
    assert forms.parse_form(b"  a=1 \r\n", None) == Form(None, (("a", "1"),))


def test_field_values_are_read_in_the_given_charset() -> None:
    assert forms.parse_form(b"text=caf%E9", "latin-1") == Form(None, (("text", "café"),))


def test_a_charset_that_is_no_text_encoding_reads_fields_as_utf8() -> None:
    assert forms.parse_form(b"text=caf%C3%A9", "base64") == Form(None, (("text", "café"),))


def test_a_field_the_charset_cannot_read_is_bad_encoding() -> None:
    with pytest.raises(PostbackRejected) as refused:
        forms.parse_form(b"text=caf%E9", None)
    assert refused.value.reason is Reason.BAD_ENCODING
    assert refused.value.detail == "A form field is not valid UTF-8."


def test_a_field_bad_in_a_named_charset_names_it() -> None:
    with pytest.raises(PostbackRejected) as refused:
        forms.parse_form(b"text=%00%D8", "utf-16-le")
    assert refused.value.detail == "A form field is not valid utf-16-le."


@pytest.mark.parametrize("raw", [b"code=N201", b" code=1", b"a.b~c-d_e[0]%20+=x"])
def test_field_name_then_equals_looks_like_a_form(raw: bytes) -> None:
    assert forms.looks_like_form(raw)


@pytest.mark.parametrize("raw", [b"code", b"=x", b"a b=c", b"<A/>"])
def test_text_without_a_field_name_and_equals_is_no_form(raw: bytes) -> None:
    assert not forms.looks_like_form(raw)


def test_literal_end_is_just_after_the_last_closer_before_more_fields() -> None:
    raw = b"xml=<A><B/></A>&c=1"
    assert forms._literal_end(raw, 4) == 15


def test_field_names_are_read_in_the_given_charset() -> None:
    assert forms.parse_form(b"caf%E9=1", "latin-1") == Form(None, (("café", "1"),))


def test_bytes_a_non_text_charset_cannot_read_are_bad_utf8() -> None:
    with pytest.raises(PostbackRejected) as refused:
        forms.parse_form(b"t=%E9", "base64")
    assert refused.value.detail == "A form field is not valid UTF-8."


def test_a_closer_before_the_xml_field_does_not_end_its_value() -> None:
    assert forms.parse_form(b"a=>&xml=<A", None) == Form(b"<A", (("a", ">"),))
