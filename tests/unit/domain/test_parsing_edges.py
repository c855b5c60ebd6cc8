"""The edges of decoding and parsing: where each odd value goes, and what is refused with which reason."""

from __future__ import annotations

from typing import Any

import pytest

from postbacks.domain import decoding, parsing
from postbacks.domain.decoding import Syntax
from postbacks.domain.errors import PostbackRejected, Reason


def canonical(raw: bytes, content_type: str | None = None) -> dict[str, Any]:
    (postback,) = parsing.parse(decoding.payload(raw, content_type)).postbacks
    return postback.canonical()


def refusal(raw: bytes, content_type: str | None = None) -> PostbackRejected:
    with pytest.raises(PostbackRejected) as refused:
        parsing.parse(decoding.payload(raw, content_type))
    return refused.value


# --- JSON ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind"),
    [(b"[1]", "an array"), (b"12", "a number"), (b'"x"', "a string"), (b"null", "null"), (b"true", "a boolean")],
)
def test_json_that_is_not_an_object_is_refused_saying_what_it_is(raw: bytes, kind: str) -> None:
    refused = refusal(raw, "application/json")
    assert (refused.reason, refused.detail) == (Reason.JSON_NOT_OBJECT, f"The JSON body is {kind}, not an object.")


def test_json_that_is_not_utf8_is_bad_encoding_and_broken_json_is_malformed() -> None:
    assert refusal(b'{"code":"N201","text":"\xff"}', "application/json").reason is Reason.BAD_ENCODING
    assert refusal(b'{"code":"N201",', "application/json").reason is Reason.MALFORMED_JSON


def test_json_content_type_decides_for_a_body_that_starts_like_neither() -> None:
    assert decoding.payload(b"  nonsense", "application/json; charset=utf-8").syntax is Syntax.JSON
    assert decoding.payload(b"  nonsense", "text/plain").syntax is Syntax.XML


def test_json_list_fields_take_strings_objects_and_single_values() -> None:
    fields = canonical(
        b'{"code":"N401","copy-to":"16501112222","content":{"url":"u1","name":"a.jpg"},'
        b'"copy_to":[null,["x"],{"other":"y"}]}',
        "application/json",
    )
    assert fields["copy_to"] == ["16501112222"]
    assert fields["content"] == ["u1"]
    assert fields["extra"] == {
        "content[0].name": "a.jpg",
        "copy_to[0]": "null",
        "copy_to[1][0]": "x",
        "copy_to[2].other": "y",
    }


def test_json_list_item_prefers_number_then_file_then_url() -> None:
    fields = canonical(b'{"code":"N401","content":[{"url":"u","file":"f","number":""}]}', "application/json")
    assert fields["content"] == ["f"]
    assert fields["extra"] == {"content[0].url": "u"}


# --- XML ----------------------------------------------------------------------------------------


def test_xml_list_field_items_keep_their_attributes_nested_elements_and_stray_text() -> None:
    fields = canonical(
        b"<POSTBACK><CODE>N401</CODE><CONTENT>lead<FILE a='1'>u1<X>deep</X>tailx</FILE>between<FILE>u2</FILE>"
        b"</CONTENT></POSTBACK>"
    )
    assert fields["content"] == ["u1", "u2"]
    assert fields["extra"] == {
        "CONTENT": "lead",
        "CONTENT[1]": "between",
        "CONTENT/FILE@a": "1",
        "CONTENT/FILE": "tailx",
        "CONTENT/FILE/X": "deep",
    }


def test_one_body_level_is_flattened_and_a_body_inside_it_is_kept_as_structure() -> None:
    fields = canonical(b"<POSTBACK><BODY n='1'>note<CODE>N201</CODE><BODY><TO>1650</TO></BODY></BODY></POSTBACK>")
    assert fields["code"] == "N201"
    assert "to" not in fields
    assert fields["extra"] == {"BODY@n": "1", "BODY": "note", "BODY/BODY/TO": "1650"}


def test_text_between_a_postbacks_elements_is_kept() -> None:
    fields = canonical(b"<POSTBACK>stray<CODE>N201</CODE>more</POSTBACK>")
    assert fields["extra"] == {"#text": "stray", "#text[1]": "more"}


def test_elements_alone_in_a_value_are_structure_not_the_value() -> None:
    fields = canonical(b"<POSTBACK><CODE>E102</CODE><STATUS><A>Message Sent</A><B>Rejected</B></STATUS></POSTBACK>")
    assert "status_text" not in fields
    assert fields["status"] == "failed"
    assert fields["extra"] == {"STATUS/A": "Message Sent", "STATUS/B": "Rejected"}


def test_a_bundles_context_is_kept_once_and_its_attributes_with_each_notification() -> None:
    item = b"<NOTIFICATION><CODE>N211</CODE></NOTIFICATION>"
    raw = b"<POSTBACK v='2'>head<A>x</A>" + item + b"mid" + item + b"</POSTBACK>"
    parsed = parsing.parse(decoding.payload(raw, None))
    assert parsed.bundled
    first = {"POSTBACK@v": "2", "POSTBACK": "head", "POSTBACK[1]": "mid", "POSTBACK/A": "x"}
    assert [postback.extra for postback in parsed.postbacks] == [first, {"POSTBACK@v": "2"}]


def test_a_notification_without_code_is_refused_naming_its_position() -> None:
    refused = refusal(b"<POSTBACK><NOTIFICATION><CODE>N211</CODE></NOTIFICATION><NOTIFICATION/></POSTBACK>")
    assert (refused.reason, refused.detail) == (
        Reason.MISSING_CODE,
        "The postback has no CODE or STATUSCODE (notification 2).",
    )


def test_wrong_root_names_the_local_tag() -> None:
    refused = refusal(b'<s:Envelope xmlns:s="urn:soap"><CODE>N201</CODE></s:Envelope>')
    assert (refused.reason, refused.detail) == (Reason.WRONG_ROOT, "The root element is <Envelope>, not <POSTBACK>.")


def test_lowercase_root_is_sinch_and_uppercase_is_skycore() -> None:
    assert canonical(b"<postback><code>N201</code></postback>")["dialect"] == "sinch_xml"
    assert canonical(b"<POSTBACK><CODE>N201</CODE></POSTBACK>")["dialect"] == "skycore_xml"


# --- values too long for their field --------------------------------------------------------------


def test_a_value_too_long_for_its_field_is_kept_in_extra_under_the_fields_name() -> None:
    long_text = "s" * 5000
    fields = canonical(
        f"<POSTBACK><CODE>N201</CODE><X>1</X><STATUSDETAILS>{long_text}</STATUSDETAILS></POSTBACK>".encode()
    )
    assert "status_details" not in fields
    assert fields["extra"] == {"X": "1", "status_details": long_text}


def test_a_list_too_long_for_its_field_keeps_its_first_items_and_sets_the_rest_aside() -> None:
    items = "".join(f"<FILE>u{n}</FILE>" for n in range(1001))
    fields = canonical(f"<POSTBACK><CODE>N401</CODE><CONTENT>{items}</CONTENT></POSTBACK>".encode())
    assert fields["content"] == [f"u{n}" for n in range(1000)]
    assert fields["extra"] == {"set-aside:content[1000]": "u1000"}


def test_a_code_longer_than_any_code_is_refused_with_the_field_named() -> None:
    refused = refusal(b"<POSTBACK><CODE>" + b"N" * 40 + b"</CODE></POSTBACK>")
    assert refused.reason is Reason.INVALID_POSTBACK
    assert refused.detail.startswith("Field code: ")


# --- forms --------------------------------------------------------------------------------------


def test_the_first_xml_field_is_the_postback_and_a_second_is_kept() -> None:
    fields = canonical(b"xml=%3CPOSTBACK%3E%3CCODE%3EN201%3C%2FCODE%3E%3C%2FPOSTBACK%3E&XML=other&%74oken=a+b")
    assert fields["code"] == "N201"
    assert fields["extra"] == {"form:XML": "other", "form:token": "a b"}


def test_an_unencoded_value_followed_by_junk_is_left_whole_for_the_parser() -> None:
    assert refusal(b"xml=<POSTBACK><CODE>N201</CODE></POSTBACK>junk").reason is Reason.MALFORMED_XML


def test_an_unencoded_json_value_ends_at_its_last_brace() -> None:
    fields = canonical(b'a=1&xml={"code":"N201","text":"x&y=z"}&b=2')
    assert (fields["dialect"], fields["text"]) == ("sinch_json", "x&y=z")
    assert fields["extra"] == {"form:a": "1", "form:b": "2"}


def test_form_field_that_is_not_valid_in_its_charset_is_bad_encoding() -> None:
    assert refusal(b"code=N201&text=%FF%FE").reason is Reason.BAD_ENCODING
    # A charset we do not know names nothing: the bytes are read as UTF-8.
    assert (
        canonical(b"code=N201&text=caf%C3%A9", "application/x-www-form-urlencoded; charset=x-unknown").get("text")
        == "café"
    )


def test_xml_field_holding_json_is_read_as_json_in_the_forms_charset() -> None:
    fields = canonical(b"xml=%7B%22code%22%3A%22N211%22%2C%22text%22%3A%22%E9%22%7D", "x; charset=latin-1")
    assert (fields["dialect"], fields["text"]) == ("sinch_json", "é")
