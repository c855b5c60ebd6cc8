"""A bundle's bytes cut exactly at its edges: blanks around the root, quoted `>` in attributes, empty notifications."""

from __future__ import annotations

from postbacks.domain import decoding
from postbacks.storage import fragments


def split(body: bytes) -> fragments.Bundle | None:
    return fragments.split(decoding.payload(body, None))


def test_blanks_before_and_after_the_root_stay_in_the_envelope() -> None:
    body = b"\n \t<POSTBACK><NOTIFICATION>a</NOTIFICATION><NOTIFICATION>b</NOTIFICATION></POSTBACK>\n"
    bundle = split(body)
    assert bundle is not None
    assert bundle.head == b"\n \t<POSTBACK>"
    assert bundle.tail == b"</POSTBACK>\n"
    assert bundle.notifications == (b"<NOTIFICATION>a</NOTIFICATION>", b"<NOTIFICATION>b</NOTIFICATION>")
    assert bundle.head + b"".join(bundle.notifications) + bundle.tail == body


def test_one_leading_blank_is_skipped_as_the_parser_skips_it() -> None:
    body = b" <POSTBACK a='1'><NOTIFICATION>a</NOTIFICATION></POSTBACK>"
    bundle = split(body)
    assert bundle is not None
    assert (bundle.head, bundle.notifications, bundle.tail) == (
        b" <POSTBACK a='1'>",
        (b"<NOTIFICATION>a</NOTIFICATION>",),
        b"</POSTBACK>",
    )


def test_a_quoted_greater_than_in_either_quote_does_not_end_a_tag() -> None:
    notification = b"<NOTIFICATION a='x>(y' b=\"1>2\">v</NOTIFICATION>"
    bundle = split(b"<POSTBACK c='>'>" + notification + b"<NOTIFICATION/></POSTBACK>")
    assert bundle is not None
    assert bundle.head == b"<POSTBACK c='>'>"
    assert bundle.notifications == (notification, b"<NOTIFICATION/>")
    assert bundle.standalone(0) == b"<POSTBACK c='>'>" + notification + b"</POSTBACK>"


def test_what_cannot_be_split_is_none() -> None:
    assert split(b"<POSTBACK><NOTIFICATION>") is None
    assert split(b"") is None
    assert split(b'<!DOCTYPE x [<!ENTITY e "v">]><POSTBACK>&e;</POSTBACK>') is None


def test_a_declaration_after_a_leading_blank_line_is_read() -> None:
    body = b"\n<?xml version='1.0'?><POSTBACK><NOTIFICATION>a</NOTIFICATION></POSTBACK>"
    bundle = split(body)
    assert bundle is not None
    assert bundle.head == b"\n<?xml version='1.0'?><POSTBACK>"
    assert bundle.notifications == (b"<NOTIFICATION>a</NOTIFICATION>",)


def test_a_body_that_ends_inside_a_tag_cannot_be_split() -> None:
    assert split(b"<POSTBACK><NOTIFICATION>a</NOTIFICATION></POSTBACK><") is None


def test_a_declared_single_byte_encoding_is_cut_exactly() -> None:
    notification = "<NOTIFICATION><TEXT>café</TEXT></NOTIFICATION>".encode("iso-8859-1")
    body = b"<?xml version='1.0' encoding='ISO-8859-1'?><POSTBACK>" + notification + b"</POSTBACK>"
    bundle = split(body)
    assert bundle is not None
    assert bundle.notifications == (notification,)


def test_an_unknown_declared_encoding_is_read_as_utf8() -> None:
    body = b"<?xml version='1.0' encoding='x-unheard-of'?><POSTBACK><NOTIFICATION>a</NOTIFICATION></POSTBACK>"
    bundle = fragments.split(decoding.Payload(decoding.Syntax.XML, body))
    assert bundle is not None
    assert bundle.notifications == (b"<NOTIFICATION>a</NOTIFICATION>",)


def test_bytes_as_sent_without_their_codec_are_not_used() -> None:
    body = b"<POSTBACK><NOTIFICATION>a</NOTIFICATION></POSTBACK>"
    bundle = fragments.split(decoding.Payload(decoding.Syntax.XML, body, sent=b"\xff\xfe<\x00"))
    assert bundle is not None
    assert bundle.notifications == (b"<NOTIFICATION>a</NOTIFICATION>",)


def test_a_postback_without_notifications_is_no_bundle() -> None:
    assert split(b"<POSTBACK><CODE>N101</CODE></POSTBACK>") is None


def test_a_processing_instruction_after_the_declaration_stays_out_of_the_envelope() -> None:
    body = b"<?xml version='1.0'?><POSTBACK><?note x?><NOTIFICATION>a</NOTIFICATION></POSTBACK>"
    bundle = split(body)
    assert bundle is not None
    assert bundle.head == b"<?xml version='1.0'?><POSTBACK>"


def test_a_doctype_is_refused_even_without_entities() -> None:
    assert split(b"<!DOCTYPE POSTBACK><POSTBACK><NOTIFICATION>a</NOTIFICATION></POSTBACK>") is None
