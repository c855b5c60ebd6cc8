"""A postback's identity (its fingerprint) is a function of what the sender sent, never of the tables we ship.

The vendor's examples' fingerprints are pinned in tests/fixtures/fingerprints.json: they key stored messages
(`~pb:`) and sort keys, so a change there is a change of identity, made on purpose (docs/status.md).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postbacks.domain import carriers, codes, decoding, parsing
from postbacks.domain.codes import CodeInfo, Kind, Status
from postbacks.domain.models import Dialect, Postback
from tests.helpers import ROOT, WELL_FORMED_SEEDS, is_well_formed

PINNED: dict[str, str] = json.loads((ROOT / "tests" / "fixtures" / "fingerprints.json").read_text("utf-8"))
EVENTS = [path for path in sorted((ROOT / "events").glob("*.json")) if is_well_formed(path.name)]


def seed_postbacks(path: Path) -> tuple[Postback, ...]:
    return parsing.parse(decoding.payload(path.read_bytes(), None)).postbacks


def event_postbacks(path: Path) -> tuple[Postback, ...]:
    event = json.loads(path.read_text("utf-8"))
    body = base64.b64decode(event["body"]) if event.get("isBase64Encoded") else event["body"].encode()
    return parsing.parse(decoding.payload(body, event["headers"].get("content-type"))).postbacks


def seed_fingerprints() -> dict[str, str]:
    return {
        f"seeds/{path.name}#{n}": postback.fingerprint()
        for path in WELL_FORMED_SEEDS
        for n, postback in enumerate(seed_postbacks(path))
    }


def fingerprints() -> dict[str, str]:
    found = seed_fingerprints()
    found |= {
        f"events/{path.name}#{n}": postback.fingerprint()
        for path in EVENTS
        for n, postback in enumerate(event_postbacks(path))
    }
    return found


def test_the_vendor_examples_keep_their_pinned_fingerprints() -> None:
    assert fingerprints() == PINNED


def test_an_api_event_and_its_seed_have_one_identity() -> None:
    seeds = {path.stem: path for path in WELL_FORMED_SEEDS}
    pairs = [(event, seeds[event.stem]) for event in EVENTS if event.stem in seeds]
    assert len(pairs) >= 20
    for event, seed in pairs:
        assert [p.fingerprint() for p in event_postbacks(event)] == [p.fingerprint() for p in seed_postbacks(seed)]


CODE_INFOS = st.builds(CodeInfo, st.sampled_from(Kind), st.sampled_from(Status), st.booleans())
ANY_CODE = st.sampled_from(sorted(codes.CODES)) | st.from_regex(r"[EN][0-9]{3}", fullmatch=True)
SPIDS = st.sampled_from(["0001140", "0001470", "31002", "0007000"]) | st.from_regex(r"[0-9]{5,7}", fullmatch=True)


@settings(max_examples=min(25, settings.default.max_examples), deadline=None)  # the mutation profile's is lower
@given(
    changed_codes=st.dictionaries(ANY_CODE, CODE_INFOS, max_size=6),
    changed_carriers=st.dictionaries(SPIDS, st.text(min_size=1, max_size=20), max_size=6),
    dropped=st.lists(st.sampled_from(sorted(codes.CODES)), max_size=4),
)
def test_changing_the_code_or_carrier_tables_changes_no_fingerprint(
    changed_codes: dict[str, CodeInfo], changed_carriers: dict[str, str], dropped: list[str]
) -> None:
    # The seeds alone: the API events carry the same bodies (test_an_api_event_and_its_seed_have_one_identity).
    before = seed_fingerprints()
    table = {code: info for code, info in codes.CODES.items() if code not in dropped} | changed_codes
    with mock.patch.dict(codes.CODES, table, clear=True), mock.patch.dict(carriers._names(), changed_carriers):
        assert seed_fingerprints() == before


@settings(max_examples=min(60, settings.default.max_examples), deadline=None)
@given(
    code=ANY_CODE,
    spid=SPIDS,
    status_text=st.sampled_from(["Message Sent/Delivered", "Rejected", "Message,Sent/Expired", "x"]),
    info=CODE_INFOS,
    carrier=st.text(min_size=1, max_size=20),
)
def test_a_postback_keeps_its_fingerprint_whatever_the_tables_say_of_its_code_and_spid(
    code: str, spid: str, status_text: str, info: CodeInfo, carrier: str
) -> None:
    fields = {"dialect": Dialect.SKYCORE_XML, "code": code, "operator_id": spid, "status_text": status_text}
    before = Postback.model_validate(fields)
    with (
        mock.patch.dict(codes.CODES, {code: info}),
        mock.patch.dict(carriers._names(), {spid: carrier}),
    ):
        after = Postback.model_validate(fields)
    assert after.fingerprint() == before.fingerprint()


@pytest.mark.parametrize(
    ("sent", "same_as"),
    [
        ({"code": " n102 "}, {"code": "N102"}),  # strings stripped, the code upper-cased
        ({"extra": {"CARRIER_NOTE": "x"}}, {"extra": {"carrier_note": "x"}}),  # extra's names lower-cased
        ({"dialect": Dialect.SINCH_JSON}, {"dialect": Dialect.FORM}),  # the wrapping is no part of it
        ({"extra": {"form:campaign": "7"}}, {}),  # the form fields around an `xml` field
        ({"operator_id": "0001140", "operator_name": "Ours"}, {"operator_id": "0001140"}),  # the SPID names it
    ],
)
def test_the_normalisation_the_docs_state(sent: dict[str, object], same_as: dict[str, object]) -> None:
    base = {"dialect": Dialect.SKYCORE_XML, "code": "N102", "tracking_id": "t"}
    assert Postback.model_validate(base | sent).fingerprint() == Postback.model_validate(base | same_as).fingerprint()


@pytest.mark.parametrize(
    "other",
    [
        {"timestamp_original": "2024-01-02T00:00:00+00:00"},  # the same instant, spelled otherwise: what was sent
        {"timestamp_original": "2024-002"},
        {"extra": {"carrier_note": "X"}},  # values keep their case
        {"operator_name": "AT&T"},  # a name sent without a SPID is the sender's
        {"status_text": "Rejected"},
        {"code": "E102"},
    ],
)
def test_every_value_the_sender_sent_is_part_of_identity(other: dict[str, object]) -> None:
    base = {"dialect": Dialect.SKYCORE_XML, "code": "N102", "tracking_id": "t", "timestamp_original": "2024-01-02"}
    base_print = Postback.model_validate(base).fingerprint()
    assert Postback.model_validate(base | other).fingerprint() != base_print
