"""The key rule's edges: numbers by their digits, which number a postback is filed under, stable failure shards."""

from __future__ import annotations

import pytest

from postbacks.domain.models import Dialect, Postback
from postbacks.storage import keys


def postback(**fields: object) -> Postback:
    return Postback.model_validate({"dialect": Dialect.SKYCORE_XML, **fields})


@pytest.mark.parametrize(
    ("number", "key"),
    [
        ("+1 650-555-0142", "16505550142"),
        ("16505550142", "16505550142"),
        ("X1(650)555.0142", "16505550142"),
        ("tel:+44 20 7946 0958", "442079460958"),
        ("٣٤٥", None),  # digits of another script are no number here: the vendor sends ASCII
        ("no digits", None),
        ("", None),
        (None, None),
    ],
)
def test_a_number_key_is_its_ascii_digits(number: str | None, key: str | None) -> None:
    assert keys.number_key(number) == key


def test_an_mms_id_alone_does_not_make_a_save_mms_key() -> None:
    mt = postback(code="N101", mms_id="39597", to="16501112222")
    assert keys.message_key(mt) == f"~pb:{mt.fingerprint()}"
    assert keys.message_key(postback(code="N003", mms_id="39597")) == "~mms:39597"


def test_a_mobile_is_the_number_whatever_the_kind_and_a_subscription_without_one_has_none() -> None:
    assert keys.subscriber(postback(code="N804", mobile="+1 650 555 0142", to="60856")) == "16505550142"
    assert keys.subscriber(postback(code="N303", email="a@example.com", to="60856")) is None


def test_failure_shards_are_pinned() -> None:
    # Stored items carry these: a new spread would leave old failures in buckets no query reads.
    assert keys.failure_bucket("TU1TXzU5Nzg3Nw==", "2026-11-22T10:00:00.000000Z") == "2026-11-22#22"
    assert [keys.failure_bucket(f"T{n}", "2026-11-22") for n in range(4)] == [
        "2026-11-22#31",
        "2026-11-22#29",
        "2026-11-22#09",
        "2026-11-22#31",
    ]
