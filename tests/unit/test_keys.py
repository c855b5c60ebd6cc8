"""The key rule (storage.keys): no tracking id can equal a generated key; failures spread; media per postback."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postbacks.domain.models import Dialect, Postback
from postbacks.storage import keys


def postback(**fields: str) -> Postback:
    return Postback.model_validate({**fields, "dialect": Dialect.SKYCORE_XML})


def test_tracking_id_shaped_like_a_save_mms_key_does_not_merge_into_it() -> None:
    tracked = postback(code="N102", tracking_id="mms:35674")
    saved = postback(code="N003", mms_id="35674")
    assert keys.message_key(tracked) == "mms:35674"
    assert keys.message_key(saved) == "~mms:35674"


def test_tracking_id_beginning_with_tilde_gets_one_more() -> None:
    assert keys.message_key(postback(code="N102", tracking_id="~mms:35674")) == "~~mms:35674"
    assert keys.tracking_id_of("~~mms:35674") == "~mms:35674"


@given(st.text(min_size=1, max_size=40).filter(lambda t: t.strip() == t))
def test_no_tracking_id_can_equal_a_generated_key(tracking_id: str) -> None:
    key = keys.for_tracking_id(tracking_id)
    assert keys.tracking_id_of(key) == tracking_id
    assert not (key.startswith("~") and not key.startswith("~~"))  # generated keys are `~` then a letter


def test_generated_keys_stand_for_no_tracking_id() -> None:
    mo = postback(code="N211", **{"from": "16311112222", "to": "60856"})
    txn = postback(code="N211", transaction_id="42")
    assert keys.message_key(mo).startswith("~pb:")
    assert keys.message_key(txn) == "~txn:42"
    assert keys.tracking_id_of(keys.message_key(mo)) is None
    assert keys.tracking_id_of("~txn:42") is None


def test_subscriber_is_the_mt_recipient_and_the_mo_sender_never_the_shortcode() -> None:
    mt = postback(code="N101", tracking_id="t", to="16501112222", **{"from": "60856"})
    failed = postback(code="E102", tracking_id="t", to="16501112222", **{"from": "60856"})
    mo = postback(code="N211", to="60856", **{"from": "16311112222"})
    subscription = postback(code="N301", mobile="16502223333", **{"from": "60856"})
    assert (keys.subscriber(mt), keys.subscriber(failed)) == ("16501112222", "16501112222")
    assert keys.subscriber(mo) == "16311112222"
    assert keys.subscriber(subscription) == "16502223333"


@pytest.mark.parametrize("code", ["N102", "N202", "N502"])
def test_a_delivery_receipt_is_indexed_only_when_alone(code: str) -> None:
    receipt = postback(code=code, tracking_id="t", to="16501112222", **{"from": "60856"})
    assert receipt.status == "delivered"
    assert keys.subscriber(receipt) == "16501112222"
    assert keys.indexed_only_when_alone(receipt)
    assert not keys.indexed_only_when_alone(postback(code="N101", tracking_id="t", to="16501112222"))
    assert not keys.indexed_only_when_alone(postback(code=code, tracking_id="t"))


def test_a_campaigns_failures_spread_over_every_shard() -> None:
    buckets = Counter(keys.failure_bucket(f"TRACK{n:06d}", "2026-11-22T10:00:00.000Z") for n in range(1000))
    assert len(buckets) == keys.FAILURE_SHARDS
    assert max(buckets.values()) <= 1000 * 0.05
    assert set(buckets) == set(keys.failure_buckets("2026-11-22"))


def test_media_objects_are_per_postback_not_per_message() -> None:
    first, second = keys.media_object_key("MO/1+", "a" * 32, 0), keys.media_object_key("MO/1+", "b" * 32, 0)
    assert first != second
    assert first == f"media/MO%2F1%2B/{'a' * 32}/000"


def test_undated_postback_sorts_first_of_its_rank() -> None:
    from postbacks.domain.status import Precedence

    undated = keys.postback_sk(Precedence(20, "", 17, "f" * 32))
    dated = keys.postback_sk(Precedence(20, "0001-01-01T00:00:00.000000Z", 0, "0" * 32))
    sent = keys.postback_sk(Precedence(10, "9999-12-31T23:59:59.999999Z", 17, "f" * 32))
    assert sent < undated < dated
