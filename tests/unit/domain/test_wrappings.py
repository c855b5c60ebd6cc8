"""The same postback in every wrapping is the same postback: same fields, same fingerprint."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest

from postbacks.domain import decoding, parsing
from postbacks.domain.decoding import Syntax
from postbacks.domain.errors import PostbackRejected, Reason
from postbacks.domain.models import Postback

XML = "<POSTBACK><ORIGIN>SMS_MT</ORIGIN><CODE>N202</CODE><TRACKINGID>w+1</TRACKINGID><TO>16503333058</TO></POSTBACK>"


def one(raw: bytes, content_type: str | None = None) -> Postback:
    (postback,) = parsing.parse(decoding.payload(raw, content_type)).postbacks
    return postback


@pytest.mark.parametrize(
    "raw",
    [
        f"xml={quote_plus(XML)}".encode(),
        f"XML={XML}".encode(),
        f"a=1&xml={quote_plus(XML)}&b=2".encode(),
        f"a=1&XML={XML}&b=2".encode(),
        ("<?xml version='1.0' encoding='utf-16'?>" + XML).encode("utf-16"),
        XML.replace("POSTBACK>", "p:POSTBACK>").replace("<p:POSTBACK>", '<p:POSTBACK xmlns:p="urn:x">', 1).encode(),
        XML.replace("<POSTBACK>", '<POSTBACK xmlns="urn:skycore">').encode(),
        b"<postback><origin>SMS_MT</origin><code>N202</code><tracking-id>w+1</tracking-id><to>16503333058</to></postback>",
    ],
)
def test_every_wrapping_gives_the_raw_postbacks_fingerprint(raw: bytes) -> None:
    assert one(raw).fingerprint() == one(XML.encode()).fingerprint()


def test_form_fields_beside_xml_are_kept_but_are_not_the_postbacks_identity() -> None:
    wrapped = one(f"token=abc&xml={quote_plus(XML)}".encode())
    assert wrapped.extra == {"form:token": "abc"}
    assert wrapped.tracking_id == "w+1"  # encoded: %2B is a plus


def test_flat_form_is_the_same_postback_as_its_json() -> None:
    form = one(b"origin=SMS_MT&code=N202&tracking-id=w%2B1&to=16503333058")
    json = one(b'{"origin":"SMS_MT","code":"N202","tracking-id":"w+1","to":"16503333058"}')
    assert (form.dialect, json.dialect) == ("form", "sinch_json")
    assert form.fingerprint() == json.fingerprint() == one(XML.encode()).fingerprint()


def test_a_flat_form_is_read_as_form_whatever_the_content_type_says() -> None:
    assert decoding.payload(b"code=N202&to=1", "application/json").syntax is Syntax.FORM
    assert decoding.payload(b"  xml=%3CPOSTBACK%2F%3E", None).syntax is Syntax.XML


@pytest.mark.parametrize("raw", [b"Delivered.", b"MMS_MT\nN501\n", b"curl -X POST -d 'code=N201'"])
def test_text_that_is_no_form_is_not_read_as_one(raw: bytes) -> None:
    assert decoding.payload(raw, None).syntax is Syntax.XML


def test_content_type_charset_is_honoured_where_the_bytes_are_not_utf8() -> None:
    latin = "<POSTBACK><CODE>N211</CODE><TEXT>Grüße</TEXT></POSTBACK>".encode("latin-1")
    assert one(latin, "text/xml; charset=ISO-8859-1").text == "Grüße"
    with pytest.raises(PostbackRejected) as refused:
        one(latin, "text/xml")
    assert refused.value.reason is Reason.BAD_ENCODING


def test_utf8_bytes_stay_utf8_whatever_charset_the_header_names() -> None:
    utf8 = "<POSTBACK><CODE>N211</CODE><TEXT>Grüße</TEXT></POSTBACK>".encode()
    assert one(utf8, "text/xml; charset=iso-8859-1").text == "Grüße"
    assert one(utf8, "text/xml; charset=utf-16").text == "Grüße"


def test_utf16_charset_is_believed_for_a_body_without_bom() -> None:
    raw = "<POSTBACK><CODE>N211</CODE><TEXT>Grüße</TEXT></POSTBACK>".encode("utf-16-le")
    assert one(raw, "text/xml; charset=utf-16le").text == "Grüße"


def test_declared_encoding_beats_the_content_type() -> None:
    raw = "<?xml version='1.0' encoding='iso-8859-1'?><POSTBACK><CODE>N211</CODE><TEXT>señor</TEXT></POSTBACK>"
    assert one(raw.encode("latin-1"), "text/xml; charset=koi8-r").text == "señor"


def test_bytes_the_named_charset_cannot_read_are_bad_encoding() -> None:
    with pytest.raises(PostbackRejected) as refused:
        one(b"<POSTBACK><CODE>N211</CODE><TEXT>\xff\xfe\xfa</TEXT></POSTBACK>", "text/xml; charset=utf-8")
    assert refused.value.reason is Reason.BAD_ENCODING


@pytest.mark.parametrize("raw", [b"xml=", b"a=1&xml=&b=2", b"xml=%20%20"])
def test_an_empty_xml_field_is_an_empty_body(raw: bytes) -> None:
    with pytest.raises(PostbackRejected) as refused:
        decoding.payload(raw, None)
    assert refused.value.reason is Reason.EMPTY_BODY


def test_a_flat_form_without_a_code_is_refused() -> None:
    with pytest.raises(PostbackRejected) as refused:
        one(b"to=16503333058&tracking-id=x")
    assert refused.value.reason is Reason.MISSING_CODE
