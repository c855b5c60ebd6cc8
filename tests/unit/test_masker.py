"""The masker both ways: a phone number in any common spelling is masked; ids, keys and S3 URIs stay exact."""

from __future__ import annotations

import base64
import uuid

from hypothesis import given
from hypothesis import strategies as st

from postbacks.domain.privacy import mask, mask_text
from postbacks.service.observability import code_dimension

# Free text around a number: words, punctuation a log line has, never digits glued to the number.
words = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8) | st.sampled_from(("=", ":", ",", '"')),
    max_size=4,
).map(" ".join)
subscriber = st.text(alphabet="0123456789", min_size=10, max_size=10)


@st.composite
def spelled(draw: st.DrawFn) -> tuple[str, str]:
    """A ten-digit national number (with or without country code 1) in one of the spellings people write."""
    digits = draw(subscriber)
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    forms = [
        digits,
        f"1{digits}",
        f"+1{digits}",
        f"+1 {digits}",
        f"+1 {area} {exchange} {line}",
        f"+1 ({area}) {exchange}-{line}",
        f"({area}) {exchange}-{line}",
        f"{area}-{exchange}-{line}",
        f"{area}.{exchange}.{line}",
        f"1-{area}-{exchange}-{line}",
        f"+44 {area[:2]} {exchange}{line[0]} {line[1:]}",
    ]
    return draw(st.sampled_from(forms)), digits


@given(spelled(), words, words)
def test_a_phone_number_in_free_text_is_masked_in_any_spelling(
    number: tuple[str, str], before: str, after: str
) -> None:
    spelling, digits = number
    masked = mask_text(f"{before} {spelling} {after}")
    assert digits not in masked.replace(" ", "").replace("-", "").replace(".", "").replace("(", "").replace(")", "")
    assert f"***{digits[-4:]}" in masked


@given(subscriber)
def test_a_number_inside_json_or_xml_text_is_masked(digits: str) -> None:
    for text in (f'{{"to":"1{digits}"}}', f"<TO>1{digits}</TO>", f"<CODE>1{digits}</CODE>", f"tel:+1{digits}"):
        assert digits not in mask_text(text)


identifier = st.one_of(
    st.uuids().map(str),
    st.builds(lambda n: str(uuid.UUID(int=n)), st.integers(min_value=0, max_value=10**30)),  # all-digit UUIDs too
    st.text(alphabet="0123456789abcdef", min_size=32, max_size=64).filter(lambda t: not t.isdigit() or len(t) > 15),
    st.text(alphabet="0123456789", min_size=1, max_size=30).map(lambda t: f"~mms:{t}"),
    st.text(alphabet="0123456789", min_size=1, max_size=30).map(lambda t: f"~txn:{t}"),
    st.text(alphabet="0123456789abcdef", min_size=16, max_size=64).map(lambda t: f"~pb:{t}"),
    # The vendor's tracking ids: base64 of MMS_<number> (TU1TXzU5Nzg3OQ== is MMS_597879).
    st.integers(min_value=0, max_value=10**15).map(lambda n: base64.b64encode(f"MMS_{n}".encode()).decode()),
    st.text(alphabet="0123456789", min_size=1, max_size=12).map(lambda t: f"MMS_MO_{t}"),
)


@st.composite
def s3_uri(draw: st.DrawFn) -> str:
    reason = draw(st.sampled_from(("malformed_xml", "missing_code", "storage_unavailable")))
    day = draw(st.dates()).strftime("%Y/%m/%d")
    name = str(uuid.UUID(int=draw(st.integers(min_value=0, max_value=2**128 - 1))))
    return f"s3://postbacks-prod-bucket-1234567/quarantine/{reason}/{day}/{name}.xml"


@given(st.one_of(identifier, s3_uri()), words, words)
def test_ids_keys_and_s3_uris_survive_exactly(kept: str, before: str, after: str) -> None:
    text = f"{before} {kept} {after}"
    assert kept in mask_text(text)


@given(s3_uri())
def test_the_kept_at_uri_replay_takes_survives_the_log_formatter(uri: str) -> None:
    assert mask({"kept_at": uri, "message": f"rejected, kept at {uri}"}) == {
        "kept_at": uri,
        "message": f"rejected, kept at {uri}",
    }


def test_dates_times_and_addresses_are_not_numbers() -> None:
    text = "at 2026-12-05 02:10:32, 2012-06-07T12:27:34.000000Z from 192.168.100.200"
    assert mask_text(text) == text


def test_a_metric_code_dimension_is_a_listed_code_or_unrecognised() -> None:
    assert code_dimension("N101") == "N101"
    assert code_dimension("16501112222") == "unrecognised"
    assert code_dimension("n101") == "unrecognised"


@given(st.text(max_size=20))
def test_a_metric_code_dimension_takes_one_of_a_finite_set(code: str) -> None:
    from postbacks.domain.codes import CODES

    assert code_dimension(code) in {*CODES, "unrecognised"}
