"""Vendor times read as ISO 8601 means them: a leap second after :59, `24:00:00` as the next midnight, ordinal
dates; an unreadable time is "undated" (None), the earliest instant of its rank in the status rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postbacks.domain import status, timestamps
from postbacks.domain.models import Dialect, Postback

# Whole-minute offsets, as every real zone has had since 1972 (the first leap second).
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
INSTANTS = st.datetimes(min_value=datetime(1972, 1, 2), max_value=datetime(9998, 12, 30)).map(
    lambda moment: moment.replace(tzinfo=UTC)
)


def local_text(instant: datetime, offset: timezone, seconds: str = "") -> str:
    """`instant` as the vendor would write it in `offset`, its seconds field replaced when given."""
    text = instant.astimezone(offset).isoformat()
    return text[:17] + seconds + text[19:] if seconds else text


@given(minute=INSTANTS, offset=OFFSETS)
def test_a_leap_second_sorts_after_59_and_before_the_next_minute(minute: datetime, offset: timezone) -> None:
    minute = minute.replace(second=0, microsecond=0)
    leap = timestamps.normalise(local_text(minute, offset, "60"))
    last = timestamps.normalise(local_text(minute.replace(second=59, microsecond=999_999), offset))
    following = timestamps.normalise(local_text(minute + timedelta(minutes=1), offset))
    assert None not in (leap, last, following)
    assert str(last) < str(leap) < str(following)
    assert leap == timestamps.to_utc_iso(minute)[:17] + "60.000000Z"


def test_the_leap_second_of_2016_is_read_in_any_offset() -> None:
    expected = "2016-12-31T23:59:60.000000Z"
    assert timestamps.normalise("2016-12-31T23:59:60Z") == expected
    assert timestamps.normalise("2016-12-31 18:59:60-05") == expected
    assert timestamps.normalise("2016-12-31T23:59:60.250+00:00") == "2016-12-31T23:59:60.250000Z"


@given(day=st.dates(min_value=datetime(1, 1, 1).date(), max_value=datetime(9998, 12, 30).date()), offset=OFFSETS)
def test_24_00_is_the_next_days_midnight(day: object, offset: timezone) -> None:
    midnight = datetime.fromisoformat(f"{day}T00:00:00").replace(tzinfo=offset)
    expected = timestamps.normalise((midnight + timedelta(days=1)).isoformat())
    suffix = midnight.isoformat()[19:]
    for spelled in ("24:00:00", "24:00", "24:00:00.000"):
        assert timestamps.normalise(f"{day}T{spelled}{suffix}") == expected


@given(instant=INSTANTS)
def test_an_ordinal_date_is_its_calendar_day(instant: datetime) -> None:
    ordinal = instant.strftime("%Y-%j")
    assert timestamps.normalise(ordinal) == timestamps.normalise(instant.date().isoformat())
    clock = instant.strftime("%H:%M:%S")
    assert timestamps.normalise(f"{ordinal}T{clock}Z") == timestamps.normalise(f"{instant.date()}T{clock}Z")
    assert timestamps.normalise(f"{ordinal.replace('-', '')} {clock}") == timestamps.normalise(
        f"{instant.date()} {clock}"
    )


@pytest.mark.parametrize(
    "original",
    [
        "2023-366",  # no 366th day in 2023
        "2024-367",
        "2024-000",
        "2016-12-31T23:59:61Z",
        "2016-12-31T24:00:01",
        "2016-12-31T24:00:00.5",
        "2016-12-31T24:01",
        "2016-12-31T23:59:60+00:00:30",  # an offset with seconds puts it inside a minute
        "9999-12-31T24:00:00",
        "not a time",
    ],
)
def test_an_unreadable_time_stays_undated(original: str) -> None:
    assert timestamps.normalise(original) is None


@given(text=st.text(max_size=40))
def test_any_text_is_undated_or_a_fixed_width_utc_time(text: str) -> None:
    normalised = timestamps.normalise(text)
    assert normalised is None or (len(normalised) == 27 and normalised.endswith("Z"))


def receipt(code: str, text: str, at: str) -> Postback:
    return Postback.model_validate(
        {
            "dialect": Dialect.SKYCORE_XML,
            "code": code,
            "status_text": text,
            "tracking_id": "t",
            "timestamp_original": at,
        }
    )


@pytest.mark.parametrize(
    ("delivered_at", "rejected_at"),
    [
        ("2016-12-31T23:59:59Z", "2016-12-31T23:59:60Z"),
        ("2016-12-31T23:59:59Z", "2016-12-31T24:00:00Z"),
        ("2016-12-31T00:00:00Z", "2016-366T00:00:01Z"),
    ],
)
def test_a_rejection_stamped_a_second_later_decides(delivered_at: str, rejected_at: str) -> None:
    delivered = receipt("N102", "Message Sent/Delivered", delivered_at)
    rejected = receipt("E102", "Message Sent/Rejected", rejected_at)
    assert status.current_status([rejected, delivered]) == "rejected"
    assert status.current_status([delivered, rejected]) == "rejected"


def test_a_later_delivery_beats_a_leap_second_rejection() -> None:
    rejected = receipt("E102", "Rejected", "2016-12-31T23:59:60Z")
    delivered = receipt("N102", "Delivered", "2017-01-01T00:00:00Z")
    assert status.current_status([rejected, delivered]) == "delivered"
