"""The canonical postback's stored form and its identity (fingerprint) across wrappings."""

from __future__ import annotations

from typing import Any

from postbacks.domain.models import Postback


def postback(**fields: Any) -> Postback:
    return Postback.model_validate({"dialect": "skycore_xml", "code": "N201", **fields})


def test_canonical_uses_vendor_names_and_leaves_empty_fields_out() -> None:
    assert postback(**{"from": "15551234567", "text": "hi"}).canonical() == {
        "dialect": "skycore_xml",
        "code": "N201",
        "kind": "sms_mt",
        "status": "sent",
        "from": "15551234567",
        "text": "hi",
    }


def test_canonical_keeps_lists_and_extra_that_hold_something() -> None:
    canonical = postback(content=["u1"], extra={"X": "1"}).canonical()
    assert (canonical["content"], canonical["extra"]) == (["u1"], {"X": "1"})


def test_the_fingerprint_of_a_known_postback_never_changes() -> None:
    # Stored items are keyed by it: a new value would store every redelivery of old postbacks again.
    fingerprint = postback(**{"from": "15551234567", "text": "héllo", "extra": {"B": "2", "a": "1"}}).fingerprint()
    assert fingerprint == "e9405b2cc60eb3d628d7617a420fbf0a"


def test_the_dialect_is_not_part_of_the_identity() -> None:
    assert postback(to="1").fingerprint() == postback(to="1", dialect="sinch_json").fingerprint()


def test_the_case_of_extras_names_is_not_part_of_the_identity() -> None:
    assert postback(extra={"STATUS/B": "x"}).fingerprint() == postback(extra={"status/b": "x"}).fingerprint()


def test_form_fields_beside_the_postback_are_not_part_of_the_identity() -> None:
    assert postback(extra={"form:token": "a"}).fingerprint() == postback().fingerprint()


def test_a_value_in_extra_is_part_of_the_identity() -> None:
    assert postback(extra={"X": "1"}).fingerprint() != postback(extra={"X": "2"}).fingerprint()
    assert postback(extra={"X": "1"}).fingerprint() != postback().fingerprint()


def test_a_field_is_part_of_the_identity() -> None:
    assert postback(to="1").fingerprint() != postback(to="2").fingerprint()


def test_canonical_values_are_plain_json_types() -> None:
    assert {type(value) for value in postback(to="1").canonical().values()} == {str}
