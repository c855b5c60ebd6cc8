"""What of a phone number may reach a log: its last four digits, and only when it has more."""

from __future__ import annotations

import pytest

from postbacks.domain import privacy


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+1 (650) 333-3058", "***3058"),
        ("333-3058 ext", "***3058"),
        ("12345", "***2345"),
        ("1234", "***"),
        ("", "***"),
        ("abc", "***"),
    ],
)
def test_a_number_keeps_its_last_four_digits_only_when_it_has_more(value: str, masked: str) -> None:
    assert privacy.mask_number(value) == masked


def test_a_masked_field_that_is_empty_stays_empty() -> None:
    assert privacy.mask({"text": "", "email": None}) == {"text": "", "email": None}


def test_values_that_are_no_text_pass_unchanged() -> None:
    assert privacy.mask({"index": 3, "to": ("16503333058",)}) == {"index": 3, "to": ["***3058"]}


def test_each_number_of_a_number_list_is_masked_as_a_number() -> None:
    assert privacy.mask({"copy_to": ["+1 650 333 3058"]}) == {"copy_to": ["***3058"]}
