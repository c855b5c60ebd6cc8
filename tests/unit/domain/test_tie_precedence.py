"""Different outcomes at one rank and one vendor time: the less favourable wins, the same for every message, and the
greatest sort key (what the analytics reports take) is that postback's."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from postbacks.domain import codes, status
from postbacks.domain.codes import Status
from postbacks.domain.models import Dialect, Postback
from postbacks.storage import codec, keys

# The documented order, greatest first (docs/status.md): pinned here, apart from the code that holds it.
DOCUMENTED = [
    "rejected",
    "not_supported",
    "expired",
    "failed",
    "encoding_failed",
    "pass_no_credits",
    "pass_limit_reached",
    "pass_failed",
    "unsubscribed",
    "pass_uninstalled",
    "delivered",
    "received",
    "saved",
    "subscribed",
    "pass_generated",
    "pass_installed",
    "sent",
    "unrecognised",
]

# A code (and STATUS text) the vendor sends for each outcome.
SENT_AS: dict[Status, tuple[str, str]] = {
    Status.REJECTED: ("E102", "Message Sent/Rejected"),
    Status.NOT_SUPPORTED: ("E202", "Message Sent/Not Supported"),
    Status.EXPIRED: ("N103", "Expired"),
    Status.FAILED: ("E201", "Message Sent/Failed"),
    Status.ENCODING_FAILED: ("E002", "Encoding failed"),
    Status.PASS_NO_CREDITS: ("N811", ""),
    Status.PASS_LIMIT_REACHED: ("N803", ""),
    Status.PASS_FAILED: ("N802", ""),
    Status.UNSUBSCRIBED: ("N302", ""),
    Status.PASS_UNINSTALLED: ("N805", ""),
    Status.DELIVERED: ("N102", "Message Sent/Delivered"),
    Status.RECEIVED: ("N211", ""),
    Status.SAVED: ("N003", ""),
    Status.SUBSCRIBED: ("N301", ""),
    Status.PASS_GENERATED: ("N801", ""),
    Status.PASS_INSTALLED: ("N804", ""),
    Status.SENT: ("N101", ""),
    Status.UNRECOGNISED: ("X123", ""),
}


def test_the_precedence_table_is_the_documented_order_of_every_status() -> None:
    assert [outcome.value for outcome in status.OUTCOME_PRECEDENCE] == DOCUMENTED
    assert set(status.OUTCOME_PRECEDENCE) == set(Status)


def test_the_outcome_weight_is_greater_for_the_less_favourable() -> None:
    weights = [status.outcome_weight(outcome) for outcome in status.OUTCOME_PRECEDENCE]
    assert weights == list(range(len(DOCUMENTED) - 1, -1, -1))
    assert (status.outcome_weight(Status.REJECTED), status.outcome_weight(Status.UNRECOGNISED)) == (17, 0)


def test_each_example_code_gives_its_outcome() -> None:
    for outcome, (code, text) in SENT_AS.items():
        assert codes.status_for(code, text or None) is outcome


SAME_RANK_PAIRS = st.sampled_from(
    [
        (first, second)
        for first in Status
        for second in Status
        if first is not second and codes.rank(first) == codes.rank(second)
    ]
)
VENDOR_TIME = st.sampled_from(["2024-03-01T10:00:00-05:00", "2016-12-31T23:59:60Z", None])
# Values that differ between postbacks of one outcome, so their fingerprints (the old tie-break) vary.
NOISE = st.dictionaries(st.sampled_from(["client_reference", "handset", "os"]), st.text("abcxyz", min_size=1))


def postback(outcome: Status, at: str | None, noise: dict[str, str]) -> Postback:
    code, text = SENT_AS[outcome]
    fields: dict[str, Any] = {"dialect": Dialect.SKYCORE_XML, "code": code, "tracking_id": "T1", **noise}
    if text:
        fields["status_text"] = text
    if at:
        fields["timestamp_original"] = at
    return Postback.model_validate(fields)


@given(
    pair=SAME_RANK_PAIRS,
    at=VENDOR_TIME,
    noises=st.lists(NOISE, min_size=2, max_size=6),
    picks=st.lists(st.booleans(), min_size=2, max_size=6),
    order=st.randoms(use_true_random=False),
)
def test_at_one_rank_and_time_the_less_favourable_outcome_wins_and_max_sk_agrees(
    pair: tuple[Status, Status], at: str | None, noises: list[dict[str, str]], picks: list[bool], order: Any
) -> None:
    first, second = pair
    winner = min(pair, key=status.OUTCOME_PRECEDENCE.index)
    # Both outcomes present, each any number of times (duplicates and look-alikes), in any order.
    received = [postback(first, at, {}), postback(second, at, {})]
    received += [postback(first if pick else second, at, noise) for pick, noise in zip(picks, noises, strict=False)]
    order.shuffle(received)

    deciding = status.deciding(received)
    assert deciding is not None
    assert deciding.status is winner
    sort_keys = {keys.postback_sk(status.precedence(p)): p for p in received}
    assert sort_keys[max(sort_keys)] == deciding
    assert max(sort_keys) == codec.postback_item(deciding, "2026-12-05T00:00:00.000000Z", None)["sk"]


def test_a_rejection_and_a_delivery_of_one_instant_say_rejected_in_every_message() -> None:
    for n in range(50):
        tracking = {"tracking_id": f"T{n}", "client_reference": f"c{n}"}
        delivered = postback(Status.DELIVERED, "2024-03-01T10:00:00Z", tracking)
        rejected = postback(Status.REJECTED, "2024-03-01T10:00:00Z", tracking)
        assert status.current_status([delivered, rejected]) is Status.REJECTED


def test_an_opt_out_wins_a_tie_with_an_opt_in() -> None:
    subscribed = postback(Status.SUBSCRIBED, "2024-03-01T10:00:00Z", {"mobile": "16505550142"})
    unsubscribed = postback(Status.UNSUBSCRIBED, "2024-03-01T10:00:00Z", {"mobile": "16505550142"})
    assert status.current_status([unsubscribed, subscribed]) is Status.UNSUBSCRIBED


def test_the_sort_key_holds_the_whole_precedence_in_fixed_width_fields() -> None:
    precedence = status.Precedence(20, "2024-03-01T15:00:00.000000Z", 7, "ab" * 16)
    assert keys.postback_sk(precedence) == "S#020#2024-03-01T15:00:00.000000Z#07#" + "ab" * 16
    assert keys.postback_sk(status.Precedence(10, "", 0, "f" * 32)) == "S#010#-#00#" + "f" * 32


STORED_TIME = st.sampled_from(
    ["", "2016-12-31T23:59:59.999999Z", "2016-12-31T23:59:60.000000Z", "2017-01-01T00:00:00.000000Z"]
)


@given(
    ranks=st.tuples(st.sampled_from([0, 10, 20, 30]), st.sampled_from([0, 10, 20, 30])),
    times=st.tuples(STORED_TIME, STORED_TIME),
    outcomes=st.tuples(st.integers(0, 17), st.integers(0, 17)),
    prints=st.tuples(st.from_regex(r"[0-9a-f]{32}", fullmatch=True), st.from_regex(r"[0-9a-f]{32}", fullmatch=True)),
)
def test_sort_key_order_is_precedence_order(
    ranks: tuple[int, int], times: tuple[str, str], outcomes: tuple[int, int], prints: tuple[str, str]
) -> None:
    a, b = (status.Precedence(ranks[n], times[n], outcomes[n], prints[n]) for n in (0, 1))
    assert (a < b) == (keys.postback_sk(a) < keys.postback_sk(b))
    assert (a == b) == (keys.postback_sk(a) == keys.postback_sk(b))
