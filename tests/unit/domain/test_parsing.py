"""Payload to canonical postbacks: the root decides the dialect, each notification is one postback."""

from __future__ import annotations

import pytest

from postbacks.domain import parsing
from postbacks.domain.decoding import Payload, Syntax
from postbacks.domain.errors import Reason
from postbacks.domain.models import Dialect
from tests.helpers import canonical, parsed, refusal

N201 = {"code": "N201", "kind": "sms_mt", "status": "sent"}


def test_an_uppercase_postback_root_is_skycore_xml() -> None:
    body = parsed(b"<POSTBACK><CODE>N201</CODE></POSTBACK>")
    assert (body.dialect, body.bundled) == (Dialect.SKYCORE_XML, False)
    assert [postback.canonical() for postback in body.postbacks] == [{"dialect": "skycore_xml", **N201}]


def test_a_lowercase_postback_root_is_sinch_xml() -> None:
    assert canonical(b"<postback><code>n201</code></postback>") == [{"dialect": "sinch_xml", **N201}]


def test_a_namespaced_root_is_read_by_its_local_name() -> None:
    raw = b'<x:POSTBACK xmlns:x="urn:x"><x:CODE>N201</x:CODE></x:POSTBACK>'
    assert parsed(raw).dialect is Dialect.SKYCORE_XML


def test_any_other_root_is_the_wrong_root() -> None:
    assert refusal(b"<DLR><CODE>N201</CODE></DLR>") == (Reason.WRONG_ROOT, "The root element is <DLR>, not <POSTBACK>.")


def test_a_long_wrong_root_is_named_in_64_characters() -> None:
    tag = "A" * 100
    assert refusal(f"<{tag}/>".encode())[1] == f"The root element is <{'A' * 64}>, not <POSTBACK>."


def test_each_notification_of_a_bundle_is_one_postback() -> None:
    raw = (
        b'<POSTBACK><NOTIFICATION id="1"><CODE>N201</CODE></NOTIFICATION>'
        b'<NOTIFICATION id="2"><CODE>N202</CODE></NOTIFICATION></POSTBACK>'
    )
    body = parsed(raw)
    assert body.bundled is True
    assert [(postback.notification_id, postback.code) for postback in body.postbacks] == [("1", "N201"), ("2", "N202")]


def test_a_bundle_of_one_notification_is_not_bundled() -> None:
    body = parsed(b"<POSTBACK><NOTIFICATION><CODE>N201</CODE></NOTIFICATION></POSTBACK>")
    assert (body.bundled, len(body.postbacks)) == (False, 1)


def test_a_notification_without_code_is_named_by_its_position() -> None:
    raw = b"<POSTBACK><NOTIFICATION><CODE>N201</CODE></NOTIFICATION><NOTIFICATION><TO>1</TO></NOTIFICATION></POSTBACK>"
    assert refusal(raw) == (Reason.MISSING_CODE, "The postback has no CODE or STATUSCODE (notification 2).")


def test_a_postback_without_code_is_refused() -> None:
    assert refusal(b"<POSTBACK><TO>1</TO></POSTBACK>") == (
        Reason.MISSING_CODE,
        "The postback has no CODE or STATUSCODE.",
    )


def test_a_blank_code_is_no_code() -> None:
    assert refusal(b'{"code": "  "}')[0] is Reason.MISSING_CODE


def test_a_bundle_of_the_most_notifications_accepted_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsing, "MAX_NOTIFICATIONS", 2)
    raw = b"<POSTBACK>" + b"<NOTIFICATION><CODE>N201</CODE></NOTIFICATION>" * 2 + b"</POSTBACK>"
    assert len(parsed(raw).postbacks) == 2


def test_a_bundle_of_more_notifications_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsing, "MAX_NOTIFICATIONS", 2)
    raw = b"<POSTBACK>" + b"<NOTIFICATION><CODE>N201</CODE></NOTIFICATION>" * 3 + b"</POSTBACK>"
    assert refusal(raw) == (
        Reason.TOO_MANY_NOTIFICATIONS,
        "The bundle has 3 notifications; at most 2 are accepted.",
    )


def test_xml_that_is_not_utf8_is_bad_encoding() -> None:
    assert refusal(b"<POSTBACK><CODE>N201</CODE>\xff</POSTBACK>") == (
        Reason.BAD_ENCODING,
        "The XML is not valid UTF-8 (invalid start byte).",
    )


def test_xml_declaring_utf8_is_checked_as_utf8() -> None:
    raw = b'<?xml version="1.0" encoding="utf-8"?><POSTBACK><CODE>N201</CODE>\xff</POSTBACK>'
    assert refusal(raw)[0] is Reason.BAD_ENCODING


def test_a_doctype_is_refused() -> None:
    assert refusal(b"<!DOCTYPE POSTBACK><POSTBACK/>") == (
        Reason.DOCTYPE_FORBIDDEN,
        "The XML declares a DOCTYPE; postbacks never do.",
    )


def test_malformed_xml_is_refused_with_the_parsers_words() -> None:
    assert refusal(b"<POSTBACK><CODE>") == (
        Reason.MALFORMED_XML,
        "The body is not well-formed XML (no element found: line 1, column 16).",
    )


def test_an_unknown_declared_encoding_is_bad_encoding() -> None:
    assert refusal(b'<?xml version="1.0" encoding="foo"?><POSTBACK/>') == (
        Reason.BAD_ENCODING,
        "The XML's declared encoding cannot be read (unknown encoding: foo).",
    )


def test_a_multibyte_declared_encoding_is_bad_encoding() -> None:
    assert refusal(b'<?xml version="1.0" encoding="shift_jis"?><POSTBACK/>')[0] is Reason.BAD_ENCODING


def test_blank_lines_before_the_declaration_are_not_content() -> None:
    raw = b'\n\n<?xml version="1.0"?><POSTBACK><CODE>N201</CODE></POSTBACK>'
    assert canonical(raw) == [{"dialect": "skycore_xml", **N201}]


@pytest.mark.parametrize(
    ("data", "check"),
    [
        (b"<A/>", True),
        (b'<?xml version="1.0" encoding="UTF-8"?><A/>', True),
        (b'<?xml version="1.0" encoding="latin-1"?><A/>', False),
        (b"\xff\xfe<\x00", False),
        (b"\xfe\xff\x00<", False),
        (b" " * 100 + b'encoding="latin-1"', True),
        (b" " * 92 + b'encoding="latin-1"', True),
    ],
)
def test_xml_is_checked_as_utf8_unless_a_bom_or_declaration_names_another_encoding(data: bytes, check: bool) -> None:
    assert parsing._needs_utf8_check(data) is check


def test_json_that_is_not_utf8_is_bad_encoding() -> None:
    assert refusal(b'{"code": "\xff"}') == (Reason.BAD_ENCODING, "The JSON is not valid UTF-8.")


def test_malformed_json_is_refused_with_the_decoders_words() -> None:
    assert refusal(b'{"code"') == (
        Reason.MALFORMED_JSON,
        "The body is not valid JSON (Expecting ':' delimiter: line 1 column 8 (char 7)).",
    )


def test_json_nested_past_the_recursion_limit_is_malformed() -> None:
    assert refusal(b"[" * 100_000)[0] is Reason.MALFORMED_JSON


@pytest.mark.parametrize(
    ("raw", "kind"),
    [(b"1.5", "a number"), (b'"N201"', "a string"), (b"[1]", "an array"), (b"null", "null"), (b"true", "a boolean")],
)
def test_json_that_is_no_object_is_refused_naming_what_it_is(raw: bytes, kind: str) -> None:
    assert refusal(raw, "application/json") == (Reason.JSON_NOT_OBJECT, f"The JSON body is {kind}, not an object.")


def test_a_json_object_is_sinch_json() -> None:
    body = parsed(b'{"code": "N201"}')
    assert (body.dialect, body.bundled) == (Dialect.SINCH_JSON, False)
    assert [postback.canonical() for postback in body.postbacks] == [{"dialect": "sinch_json", **N201}]


def test_a_flat_form_is_the_form_dialect() -> None:
    assert canonical(b"code=N201&tracking-id=abc") == [{"dialect": "form", **N201, "tracking_id": "abc"}]
    assert parsed(b"code=N201").bundled is False


def test_a_bundle_is_in_its_roots_dialect() -> None:
    raw = b"<postback><notification><code>N201</code></notification></postback>"
    assert parsed(raw).dialect is Dialect.SINCH_XML


def test_one_blank_before_the_declaration_is_not_content() -> None:
    assert canonical(b' <?xml version="1.0"?><POSTBACK><CODE>N201</CODE></POSTBACK>') == [
        {"dialect": "skycore_xml", **N201}
    ]


def test_fields_beside_an_xml_field_are_kept_under_the_form_prefix() -> None:
    raw = b"a=1&xml=%3CPOSTBACK%3E%3CCODE%3EN201%3C%2FCODE%3E%3C%2FPOSTBACK%3E"
    assert canonical(raw) == [{"dialect": "skycore_xml", **N201, "extra": {"form:a": "1"}}]


def test_fields_beside_a_json_xml_field_are_kept_under_the_form_prefix() -> None:
    assert canonical(b"a=1&xml=%7B%22code%22%3A%22N201%22%7D") == [
        {"dialect": "sinch_json", **N201, "extra": {"form:a": "1"}}
    ]


def test_fields_beside_a_bundle_are_kept_once_with_its_first_notification() -> None:
    notification = b"<NOTIFICATION><CODE>N201</CODE></NOTIFICATION>"
    raw = b"a=1&xml=<POSTBACK>" + notification * 2 + b"</POSTBACK>"
    first = {"dialect": "skycore_xml", **N201}
    assert canonical(raw) == [{**first, "extra": {"form:a": "1"}}, first]


def test_a_value_too_long_for_its_field_is_kept_in_extra_under_the_fields_name() -> None:
    long = "x" * 201
    assert canonical(f'{{"code": "N201", "tracking-id": "{long}", "b": "2"}}'.encode()) == [
        {"dialect": "sinch_json", **N201, "extra": {"b": "2", "tracking_id": long}}
    ]


def test_only_the_items_past_a_lists_bound_are_set_aside_in_extra() -> None:
    items = ",".join(['"u"'] * 1001)
    (postback,) = parsed(f'{{"code": "N201", "content": [{items}]}}'.encode()).postbacks
    assert postback.content == ["u"] * 1000
    assert postback.extra == {"set-aside:content[1000]": "u"}


def test_a_code_too_long_is_refused_not_set_aside() -> None:
    assert refusal(f'{{"code": "{"N" * 40}"}}'.encode()) == (
        Reason.INVALID_POSTBACK,
        "Field code: String should have at most 32 characters.",
    )


def test_a_refusal_in_a_bundle_names_the_notification() -> None:
    raw = f"<POSTBACK><NOTIFICATION><CODE>{'N' * 40}</CODE></NOTIFICATION></POSTBACK>".encode()
    assert refusal(raw) == (
        Reason.INVALID_POSTBACK,
        "Field code: String should have at most 32 characters (notification 1).",
    )


def test_the_payloads_syntax_alone_picks_the_parser() -> None:
    body = parsing.parse(Payload(Syntax.FORM, b"<POSTBACK/>", (("code", "N201"),)))
    assert body.dialect is Dialect.FORM
