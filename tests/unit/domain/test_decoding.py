"""Body bytes to payload: the bytes decide the syntax, the Content-Type breaks ties and names the charset."""

from __future__ import annotations

import pytest

from postbacks.domain import decoding
from postbacks.domain.decoding import Payload, Syntax
from postbacks.domain.errors import PostbackRejected, Reason

XML = b"<POSTBACK><CODE>N201</CODE></POSTBACK>"
JSON = b'{"code": "N201"}'


def test_a_body_starting_with_a_tag_is_raw_xml_whatever_the_content_type() -> None:
    assert decoding.payload(XML, "application/json") == Payload(Syntax.XML, XML)


def test_a_body_starting_with_a_brace_is_raw_json_whatever_the_content_type() -> None:
    assert decoding.payload(JSON, "application/xml") == Payload(Syntax.JSON, JSON)


def test_a_body_starting_with_a_bracket_is_json() -> None:
    assert decoding.payload(b'[{"code": "N201"}]', None).syntax is Syntax.JSON


def test_leading_blanks_do_not_hide_the_first_character() -> None:
    assert decoding.payload(b"  \n" + JSON, None) == Payload(Syntax.JSON, b"  \n" + JSON)


def test_a_utf8_bom_before_json_is_json() -> None:
    body = b"\xef\xbb\xbf" + JSON
    assert decoding.payload(body, None) == Payload(Syntax.JSON, body)


def test_a_utf16_le_bom_before_json_is_json() -> None:
    body = b"\xff\xfe" + " {}".encode("utf-16-le")
    assert decoding.payload(body, None) == Payload(Syntax.JSON, body)


def test_a_utf16_be_bom_before_json_is_json() -> None:
    body = b"\xfe\xff" + "{}".encode("utf-16-be")
    assert decoding.payload(body, None) == Payload(Syntax.JSON, body)


def test_a_utf16_be_bom_before_a_tag_is_xml() -> None:
    body = b"\xfe\xff" + "<POSTBACK/>".encode("utf-16-be")
    assert decoding.payload(body, None).syntax is Syntax.XML


def test_text_neither_tag_brace_nor_form_is_json_under_a_json_content_type() -> None:
    assert decoding.payload(b"true", "Application/JSON; charset=utf-8") == Payload(Syntax.JSON, b"true")


def test_text_neither_tag_brace_nor_form_is_xml_without_a_json_content_type() -> None:
    assert decoding.payload(b"true", "text/plain") == Payload(Syntax.XML, b"true")
    assert decoding.payload(b"true", None) == Payload(Syntax.XML, b"true")
    assert decoding.payload(b"true", "") == Payload(Syntax.XML, b"true")


def test_a_flat_form_is_its_fields() -> None:
    assert decoding.payload(b"code=N201&to=15551234567", None) == Payload(
        Syntax.FORM, b"", (("code", "N201"), ("to", "15551234567"))
    )


def test_an_xml_form_field_is_the_postback_the_other_fields_beside_it() -> None:
    body = b"token=abc&xml=%3CPOSTBACK%3E%3CCODE%3EN201%3C%2FCODE%3E%3C%2FPOSTBACK%3E"
    assert decoding.payload(body, "application/x-www-form-urlencoded") == Payload(Syntax.XML, XML, (("token", "abc"),))


def test_a_json_document_in_the_xml_form_field_is_json() -> None:
    body = b"xml=+%7B%22code%22%3A%22N201%22%7D"
    assert decoding.payload(body, None) == Payload(Syntax.JSON, b' {"code":"N201"}')


def test_a_json_array_in_the_xml_form_field_is_json() -> None:
    assert decoding.payload(b"xml=%5B%5D", None).syntax is Syntax.JSON


def test_a_blank_xml_form_field_is_an_empty_body() -> None:
    with pytest.raises(PostbackRejected) as refused:
        decoding.payload(b"xml=+++&a=1", None)
    assert refused.value.reason is Reason.EMPTY_BODY
    assert str(refused.value.detail) == "The xml form field is empty."


def test_a_form_field_in_latin1_is_read_in_the_content_types_charset() -> None:
    body = "xml=<POSTBACK><TEXT>café</TEXT></POSTBACK>".encode("latin-1")
    assert decoding.payload(body, "application/x-www-form-urlencoded; charset=ISO-8859-1").data == (
        "<POSTBACK><TEXT>café</TEXT></POSTBACK>".encode()
    )


def test_latin1_json_is_reencoded_as_utf8() -> None:
    body = '{"text": "café"}'.encode("latin-1")
    assert decoding.payload(body, "application/json; charset=latin-1").data == '{"text": "café"}'.encode()


def test_latin1_xml_without_declaration_is_reencoded_as_utf8() -> None:
    body = "<POSTBACK>é</POSTBACK>".encode("latin-1")
    assert decoding.payload(body, 'text/xml; charset="iso-8859-1"').data == "<POSTBACK>é</POSTBACK>".encode()


def test_a_json_body_with_an_xml_like_declaration_is_still_reencoded() -> None:
    # The declaration is an XML thing: in JSON text it names nothing.
    body = '{"a": "<?xml encoding=x?>é"}'.encode("latin-1")
    assert decoding.payload(body, "application/json; charset=latin-1").data == '{"a": "<?xml encoding=x?>é"}'.encode()


def test_an_xml_declaration_wins_over_the_header_charset() -> None:
    body = '<?xml version="1.0" encoding="ISO-8859-1"?><POSTBACK>é</POSTBACK>'.encode("latin-1")
    assert decoding.payload(body, "text/xml; charset=windows-1251").data == body


def test_a_bom_wins_over_the_header_charset() -> None:
    body = b"\xff\xfe" + "<POSTBACK/>".encode("utf-16-le")
    assert decoding.payload(body, "text/xml; charset=latin-1").data == body


def test_a_charset_that_is_no_text_encoding_is_bad_encoding() -> None:
    with pytest.raises(PostbackRejected) as refused:
        decoding.payload(b"<POSTBACK>\xff</POSTBACK>", "text/xml; charset=rot13")
    assert refused.value.reason is Reason.BAD_ENCODING
    assert refused.value.detail == "The body is not valid rot13."


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ("text/xml; charset=ISO-8859-1", "ISO-8859-1"),
        ("text/xml;charset = 'utf-16'", "utf-16"),
        ('text/xml; CHARSET="latin-1"; q=1', "latin-1"),
        ("text/xml", None),
        (None, None),
    ],
)
def test_the_charset_is_read_from_the_content_type(content_type: str | None, charset: str | None) -> None:
    assert decoding._charset(content_type) == charset


def test_text_start_skips_a_utf8_bom_and_blanks() -> None:
    assert decoding._strip_text_start(b"\xef\xbb\xbf \t<A/>") == b"<A/>"


def test_text_start_of_utf16_is_the_decoded_text() -> None:
    assert decoding._strip_text_start(b"\xff\xfe" + " <A/>".encode("utf-16-le")) == b"<A/>"
    assert decoding._strip_text_start(b"\xfe\xff" + " <A/>".encode("utf-16-be")) == b"<A/>"


def test_text_start_without_a_bom_is_the_bytes_without_leading_blanks() -> None:
    assert decoding._strip_text_start(b"\n\xff\xfe") == b"\xff\xfe"


def test_a_body_neither_xml_json_nor_form_is_read_in_the_content_types_charset() -> None:
    assert decoding.payload(b'"caf\xe9"', "application/json; charset=latin-1").data == '"café"'.encode()
    assert decoding.payload(b"caf\xe9", "text/plain; charset=latin-1").data == b"caf\xc3\xa9"


def test_a_declared_encoding_in_an_xml_form_field_wins_over_the_header_charset() -> None:
    document = '<?xml version="1.0" encoding="ISO-8859-1"?><A>é</A>'.encode("latin-1")
    body = b"xml=" + document
    assert decoding.payload(body, "application/x-www-form-urlencoded; charset=windows-1251").data == document


def test_a_unicode_blank_before_utf16_json_does_not_hide_it() -> None:
    body = b"\xfe\xff" + "\u3000{}".encode("utf-16-be")
    assert decoding.payload(body, None).syntax is Syntax.JSON


def test_a_utf16_body_of_odd_length_is_still_sniffed() -> None:
    body = b"\xff\xfe" + "<A/>".encode("utf-16-le") + b"<"
    assert decoding.payload(body, None).syntax is Syntax.XML


def test_a_body_up_to_the_cap_is_the_body() -> None:
    assert decoding.checked_body(b" <A/>", max_bytes=5) == b" <A/>"


@pytest.mark.parametrize(
    ("raw", "reason", "detail"),
    [
        (b"", Reason.EMPTY_BODY, "The request has no body."),
        (b" \r\n\t ", Reason.EMPTY_BODY, "The request body is blank."),
        (b"<A/>..", Reason.BODY_TOO_LARGE, "The body is larger than 5 bytes."),
    ],
)
def test_an_empty_blank_or_oversized_body_is_refused(raw: bytes, reason: Reason, detail: str) -> None:
    with pytest.raises(PostbackRejected) as refused:
        decoding.checked_body(raw, max_bytes=5)
    assert (refused.value.reason, refused.value.detail) == (reason, detail)
