"""The field-name map and the collector: which vendor name is which field, and where the rest goes."""

from __future__ import annotations

import pytest

from postbacks.domain import fields
from postbacks.domain.fields import Collector


@pytest.mark.parametrize(
    ("vendor", "canonical"),
    [
        ("STATUSCODE", "code"),
        ("status-code", "code"),
        ("status-text", "status_text"),
        ("message-text", "text"),
        ("campaign-ref", "campaign_id"),
        ("CAMPAIGNREF", "campaign_id"),
        ("CAMPAIGNID", "campaign_id"),
        ("from-mask", "from_mask"),
        ("FROM_MASK", "from_mask"),
        ("trackingid", "tracking_id"),
        ("client-reference", "client_reference"),
        ("operator-name", "operator_name"),
        ("SPID", "operator_id"),
        ("MOBILE", "mobile"),
        ("EMAIL", "email"),
        ("SHORTCODE", "shortcode"),
        ("SOURCE", "source"),
        ("SUBID", "sub_id"),
        ("CAMPAIGNTITLE", "campaign_title"),
        ("BRANDNAME", "brand_name"),
        ("CUSTOMPASSID", "pass_id"),
        ("pass-id", "pass_id"),
        ("PASSDATAID", "pass_data_id"),
        ("SERIALNUMBER", "serial_number"),
        ("pass-template-id", "pass_template_id"),
        ("REFERENCEDBY", "referenced_by"),
        ("REFERENCEVALUE", "reference_value"),
        ("install-id", "install_id"),
        ("app-type", "app_type"),
        ("{urn:skycore}CODE", "code"),
        ("copy-to", "copy_to"),
    ],
)
def test_vendor_name_maps_to_its_canonical_field(vendor: str, canonical: str) -> None:
    assert fields.field_for(vendor) == canonical


def test_a_name_we_have_no_field_for_maps_to_none() -> None:
    assert fields.field_for("LIST") is None
    assert fields.fold("{urn:x}Tracking-Id") == "trackingid"


def test_second_value_for_a_field_goes_to_extra_under_its_path() -> None:
    collector = Collector()
    collector.value("TO", "TO", "1")
    collector.value("TO", "TO", "2")
    collector.value("to", "to", "3")
    assert collector.result() == {"to": "1", "extra": {"TO": "2", "to": "3"}}


def test_a_taken_path_gets_the_next_free_number() -> None:
    collector = Collector()
    for value in ("a", "b", "c"):
        collector.keep("X", value)
    collector.keep("X[2]", "d")
    assert collector.extra == {"X": "a", "X[1]": "b", "X[2]": "c", "X[2][1]": "d"}


def test_blank_values_carry_nothing() -> None:
    collector = Collector()
    collector.value("TO", "TO", "  ")
    collector.keep("X", "")
    assert collector.result() == {}


def test_statuscode_is_the_code_whichever_comes_first() -> None:
    first = Collector()
    first.value("CODE", "CODE", "N801")
    first.value("STATUSCODE", "STATUSCODE", "N802")
    second = Collector()
    second.value("STATUSCODE", "STATUSCODE", "N802")
    second.value("CODE", "CODE", "N801")
    assert first.result() == second.result() == {"code": "N802", "extra": {"CODE": "N801"}}


def test_paths_are_cut_at_the_limit() -> None:
    collector = Collector()
    collector.keep("a/" * 500, "v")
    assert [len(key) for key in collector.extra] == [fields.MAX_PATH]


def test_list_fields_collect_every_item() -> None:
    collector = Collector()
    collector.value("CONTENT", "CONTENT", "u1")
    collector.item("content", "u2")
    collector.item("content", " ")
    assert collector.result() == {"content": ["u1", "u2"]}


def test_a_second_statuscode_goes_to_extra() -> None:
    collector = Collector()
    collector.value("STATUSCODE", "STATUSCODE", "N802")
    collector.value("STATUSCODE", "A/STATUSCODE", "N803")
    assert collector.result() == {"code": "N802", "extra": {"A/STATUSCODE": "N803"}}


def test_a_statuscode_after_code_moves_code_to_its_own_path() -> None:
    collector = Collector()
    collector.value("CODE", "X/CODE", "N801")
    collector.value("status-code", "status-code", "N802")
    assert collector.result() == {"code": "N802", "extra": {"X/CODE": "N801"}}


def test_an_unknown_name_is_kept_under_its_path() -> None:
    collector = Collector()
    collector.value("LIST", "A/LIST", " v ")
    assert collector.result() == {"extra": {"A/LIST": " v "}}


def test_a_list_field_with_only_blank_items_is_an_empty_list() -> None:
    collector = Collector()
    collector.item("content", " ")
    assert collector.result() == {"content": []}


def test_numbering_a_taken_path_continues_where_it_stopped() -> None:
    collector = Collector()
    collector.keep("X", "a")
    collector.keep("X[1]", "b")
    collector.keep("X", "c")
    collector.keep("X", "d")
    assert collector.extra == {"X": "a", "X[1]": "b", "X[2]": "c", "X[3]": "d"}


@pytest.mark.parametrize(("tag", "local"), [("{urn:a}B", "B"), ("{a}{b}C", "C"), ("A}B", "A}B"), ("B", "B"), ("", "")])
def test_the_local_name_drops_a_namespace_only(tag: str, local: str) -> None:
    assert fields.local_name(tag) == local


def test_a_statuscode_that_replaced_code_is_not_replaced_by_another() -> None:
    collector = Collector()
    collector.value("CODE", "CODE", "N801")
    collector.value("STATUSCODE", "STATUSCODE", "N802")
    collector.value("STATUSCODE", "B/STATUSCODE", "N803")
    assert collector.result() == {"code": "N802", "extra": {"CODE": "N801", "B/STATUSCODE": "N803"}}


def test_a_tag_opening_a_namespace_it_never_closes_is_its_own_name() -> None:
    assert fields.local_name("{abc") == "{abc"
