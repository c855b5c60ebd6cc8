"""Decode + parse never fail with anything but a refusal, and the ingest function never answers 5xx for bad input.

Most examples go through the pure domain functions (fast); fewer through the real handler against moto.
`python -m tests.reliability.fuzz_long` runs the same properties with many more examples.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from postbacks.domain.errors import PostbackRejected
from postbacks_cli.local_stacks import StackResources
from postbacks_local.sample_events import api_event
from tests.helpers import SECRET, WELL_FORMED_SEEDS, Invoke, content_type_of
from tests.reliability.fuzzing import (
    CONTENT_TYPES,
    WRAPPINGS,
    any_text,
    api_gateway_body,
    base64ish,
    bodies,
    check,
    content_types,
    decode_and_parse,
    examples,
    fingerprints,
    json_postbacks,
    mutated_seeds,
    xml_postbacks,
)

PURE = settings(deadline=None, max_examples=examples(300), suppress_health_check=[HealthCheck.too_slow])
THROUGH_HANDLER = settings(
    deadline=None,
    max_examples=examples(100),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- pure: decode + parse -------------------------------------------------------------------------------


@PURE
@given(raw=st.binary(max_size=4000), content_type=content_types, force_base64=st.booleans())
def test_arbitrary_bytes_are_parsed_or_refused(raw: bytes, content_type: str | None, force_base64: bool) -> None:
    check(decode_and_parse(*api_gateway_body(raw, force_base64=force_base64), content_type))


@PURE
@given(body=any_text, content_type=content_types)
def test_arbitrary_text_with_lone_surrogates_is_parsed_or_refused(body: str, content_type: str | None) -> None:
    check(decode_and_parse(body, False, content_type))


@PURE
@given(body=base64ish, content_type=content_types)
def test_arbitrary_base64_flagged_body_is_parsed_or_refused(body: str, content_type: str | None) -> None:
    check(decode_and_parse(body, True, content_type))


@settings(PURE, max_examples=examples(1500))
@given(raw=mutated_seeds(), content_type=content_types, force_base64=st.booleans())
def test_mutated_vendor_examples_are_parsed_or_refused(
    raw: bytes, content_type: str | None, force_base64: bool
) -> None:
    check(decode_and_parse(*api_gateway_body(raw, force_base64=force_base64), content_type))


@settings(PURE, max_examples=examples(800))
@given(raw=xml_postbacks(max_value=5000), content_type=content_types)
# Each of these raised something other than a refusal before parsing.py was fixed.
@example(raw=b"<POSTBACK><CODE>E102</CODE><STATUS><a>x</a></STATUS></POSTBACK>", content_type=None)
@example(raw=b"<POSTBACK><CODE>N201</CODE><TIMESTAMP><a>x</a></TIMESTAMP></POSTBACK>", content_type=None)
@example(raw=b"<POSTBACK><CODE>N201</CODE>" + b"<BODY>" * 3000 + b"</BODY>" * 3000 + b"</POSTBACK>", content_type=None)
@example(raw=b'<?xml version="1.0" encoding="x-nope"?><POSTBACK><CODE>N201</CODE></POSTBACK>', content_type=None)
@example(raw=b'<?xml version="1.0" encoding="shift_jis"?><POSTBACK><CODE>N201</CODE></POSTBACK>', content_type=None)
def test_generated_xml_postbacks_are_parsed_or_refused(raw: bytes, content_type: str | None) -> None:
    check(decode_and_parse(*api_gateway_body(raw), content_type))


@settings(PURE, max_examples=examples(800))
@given(raw=json_postbacks(), content_type=content_types)
@example(raw=b'{"code": "N201", "to": "   ", "tracking-id": "x"}', content_type="application/json")
def test_generated_json_postbacks_are_parsed_or_refused(raw: bytes, content_type: str | None) -> None:
    check(decode_and_parse(*api_gateway_body(raw), content_type))


# --- pure: the same postback in every wrapping -------------------------------------------------------


_TAG_NAME = re.compile(r"(</?)([A-Za-z_][\w.:-]*)")


@pytest.mark.parametrize("path", WELL_FORMED_SEEDS, ids=lambda path: path.name)
def test_every_wrapping_and_content_type_gives_the_same_postbacks(path: Path) -> None:
    text = path.read_text("utf-8")
    reference = fingerprints(decode_and_parse(*api_gateway_body(text.encode()), content_type_of(path)))
    for how, wrap in WRAPPINGS.items():
        raw = wrap(text)
        if raw is None:
            continue
        for content_type in CONTENT_TYPES:
            for force_base64 in (False, True):
                outcome = decode_and_parse(*api_gateway_body(raw, force_base64=force_base64), content_type)
                assert not isinstance(outcome, PostbackRejected), (how, content_type, outcome.reason, outcome.detail)
                assert fingerprints(outcome) == reference, (how, content_type)


@pytest.mark.parametrize("path", [p for p in WELL_FORMED_SEEDS if p.suffix == ".xml"], ids=lambda path: path.name)
@pytest.mark.parametrize("change", [str.lower, str.upper, str.title], ids=["lower", "upper", "title"])
def test_tag_case_does_not_change_the_postback(path: Path, change: Callable[[str], str]) -> None:
    text = path.read_text("utf-8")
    reference = fingerprints(decode_and_parse(text, False, "text/xml"))
    recased = _TAG_NAME.sub(lambda m: m.group(1) + change(m.group(2)), text)
    assert fingerprints(decode_and_parse(recased, False, "text/xml")) == reference


# --- through the real handler ---------------------------------------------------------------------------


@THROUGH_HANDLER
@given(raw=bodies, content_type=content_types, force_base64=st.booleans())
def test_ingest_answers_2xx_or_4xx_for_any_body(
    ingest: Invoke, stack: StackResources, raw: bytes, content_type: str | None, force_base64: bool
) -> None:
    event = api_event(b"", secret=SECRET, content_type=content_type)
    event["body"], event["isBase64Encoded"] = api_gateway_body(raw, force_base64=force_base64)
    answer = ingest(event)
    assert 200 <= answer["statusCode"] < 500, answer["body"]
    assert answer["statusCode"] < 300 or '"error"' in answer["body"]


@settings(THROUGH_HANDLER, max_examples=examples(30))
@given(body=any_text, content_type=content_types)
def test_ingest_never_answers_5xx_for_any_text(
    ingest: Invoke, stack: StackResources, body: str, content_type: str | None
) -> None:
    event = api_event(b"", secret=SECRET, content_type=content_type)
    event["body"] = body
    answer = ingest(event)
    assert 400 <= answer["statusCode"] < 500 or answer["statusCode"] == 200, answer["body"]
