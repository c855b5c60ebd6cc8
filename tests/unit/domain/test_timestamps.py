"""Vendor timestamps become UTC ISO 8601 at the precision sent, always six fractional digits so text sorts."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from postbacks.domain import timestamps


@pytest.mark.parametrize(
    ("original", "normalised"),
    [
        ("2021-01-26T18:00:07.990498+00:00", "2021-01-26T18:00:07.990498Z"),  # the vendor's JSON default
        ("2011-09-28 17:31:02.835577-04", "2011-09-28T21:31:02.835577Z"),
        ("2014-07-02T14:32:23-04", "2014-07-02T18:32:23.000000Z"),
        ("2013-11-05T05:41:08-05:00", "2013-11-05T10:41:08.000000Z"),
        ("2021-01-26T18:00:07.99+00:00", "2021-01-26T18:00:07.990000Z"),
        ("2021-02-01 23:35:54", "2021-02-01T23:35:54.000000Z"),  # no offset: UTC
        (" 2021-02-01T23:35:54Z ", "2021-02-01T23:35:54.000000Z"),
    ],
)
def test_timestamp_is_utc_with_its_microseconds(original: str, normalised: str) -> None:
    assert timestamps.normalise(original) == normalised


@pytest.mark.parametrize("original", ["", None, "yesterday", "2021-13-01T00:00:00Z", "9999-12-31T23:00:00-05:00"])
def test_unreadable_timestamp_normalises_to_nothing(original: str | None) -> None:
    assert timestamps.normalise(original) is None


def test_normalised_text_sorts_as_the_instants_do() -> None:
    originals = [
        "2021-01-26T18:00:07.990498+00:00",
        "2021-01-26T18:00:07.99+00:00",
        "2021-01-26T13:00:07-05:00",
        "2021-01-26T18:00:08Z",
        "2021-01-26T18:00:07.000001Z",
    ]
    by_instant = sorted(originals, key=lambda text: datetime.fromisoformat(text))
    by_text = sorted(originals, key=lambda text: timestamps.normalise(text) or "")
    assert by_text == by_instant
    assert {len(timestamps.normalise(text) or "") for text in originals} == {27}


def test_now_has_the_stored_width() -> None:
    assert len(timestamps.utc_now_iso()) == len("2026-12-01T00:00:00.000000Z")
    assert timestamps.to_utc_iso(datetime(2026, 12, 1, tzinfo=UTC)) == "2026-12-01T00:00:00.000000Z"


def test_a_timestamp_without_offset_is_utc_whatever_the_machines_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert timestamps.normalise("2021-02-01 23:35:54") == "2021-02-01T23:35:54.000000Z"
    finally:
        monkeypatch.undo()
        time.tzset()
