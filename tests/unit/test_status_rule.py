"""The status rule: a message's status is a function of the set of its postbacks (domain.status, keys.postback_sk).

Each delivery sequence is played against a model of the table (first write of a key wins, as the
conditional put does) and the status is read the way the store reads it: the greatest `S#` sort key.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from postbacks.domain import status
from postbacks.domain.codes import Status
from postbacks.domain.models import Dialect, Postback
from postbacks.storage import keys

TRACKING_ID = "TU1TXzU5Nzg3Nw=="
# E101/E102 come without TIMESTAMP in the vendor's examples; two share N102's time (a tie).
TIMES = (None, "2012-06-07T07:27:29-05:00", "2012-06-07T07:27:34-05:00", "2012-06-07T12:27:34Z")


def dlr(code: str, timestamp: str | None = None, status_text: str | None = None, **extra: str) -> Postback:
    fields = {"code": code, "tracking_id": TRACKING_ID, "to": "16501112222", "from": "60856", "mms_id": "39755"}
    if timestamp:
        fields["timestamp_original"] = timestamp
    if status_text:
        fields["status_text"] = status_text
    return Postback.model_validate({**fields, **extra, "dialect": Dialect.SKYCORE_XML})


def stored_status(deliveries: list[Postback]) -> str:
    """What the store answers after these deliveries: conditional puts, then the last `S#` item."""
    table: dict[tuple[str, str], Postback] = {}
    for postback in deliveries:
        table.setdefault((keys.message_key(postback), keys.postback_sk(status.precedence(postback))), postback)
    last = max(sk for _, sk in table)
    return table[(keys.message_key(deliveries[0]), last)].status.value


POSTBACKS = st.builds(
    dlr,
    code=st.sampled_from(["N101", "N102", "N103", "E101", "E102", "N999"]),
    timestamp=st.sampled_from(TIMES),
    status_text=st.sampled_from([None, "Message Sent/Rejected", "Message Sent/Expired", "Message Failed"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(POSTBACKS, min_size=1, max_size=6, unique_by=lambda p: p.fingerprint()), st.data())
def test_status_is_a_function_of_the_set_whatever_the_order_and_duplication(
    postbacks: list[Postback], data: st.DataObject
) -> None:
    expected = status.current_status(postbacks)
    # Any order, each postback delivered one to five times (the sender retries up to five times).
    deliveries = data.draw(st.permutations([p for p in postbacks for _ in range(data.draw(st.integers(1, 5)))]))
    assert status.current_status(deliveries) is expected
    assert stored_status(deliveries) == expected.value


@given(st.lists(POSTBACKS, min_size=2, max_size=6))
def test_sort_key_order_is_the_precedence_order(postbacks: list[Postback]) -> None:
    by_precedence = sorted(postbacks, key=status.precedence)
    by_key = sorted(postbacks, key=lambda p: keys.postback_sk(status.precedence(p)))
    assert [status.precedence(p) for p in by_key] == [status.precedence(p) for p in by_precedence]


def test_retry_of_undated_e102_does_not_beat_a_dated_n102() -> None:
    e102, n102 = dlr("E102", status_text="Message Sent/Rejected"), dlr("N102", TIMES[2])
    assert stored_status([e102, n102, e102]) == "delivered"
    assert stored_status([n102, e102]) == "delivered"


def test_dated_outcome_beats_an_earlier_dated_one_of_the_same_rank() -> None:
    n102, e102 = dlr("N102", TIMES[1]), dlr("E102", TIMES[2], "Message Sent/Rejected")
    assert status.current_status([e102, n102]) is Status.REJECTED
    assert status.current_status([n102, e102]) is Status.REJECTED


def test_tied_timestamps_are_decided_by_fingerprint_in_either_order() -> None:
    # TIMES[2] and TIMES[3] are the same instant in two offsets.
    n102, e102 = dlr("N102", TIMES[2]), dlr("E102", TIMES[3], "Message Sent/Rejected")
    winner = max((n102, e102), key=lambda p: p.fingerprint())
    assert stored_status([n102, e102]) == stored_status([e102, n102]) == winner.status.value


def test_late_n101_does_not_downgrade_delivered() -> None:
    assert stored_status([dlr("N102", TIMES[1]), dlr("N101", TIMES[3])]) == "delivered"


def test_unrecognised_code_never_moves_the_status() -> None:
    assert status.current_status([dlr("N101", TIMES[1]), dlr("N999", TIMES[3])]) is Status.SENT


def test_notification_created_is_a_vendor_time() -> None:
    dated = dlr("E102", notification_created_original="2012-06-07T12:27:35Z")
    assert status.vendor_time(dated) == "2012-06-07T12:27:35.000000Z"
    assert status.current_status([dlr("N102", TIMES[2]), dated]) is Status.FAILED


def test_no_postbacks_is_unrecognised() -> None:
    assert status.current_status([]) is Status.UNRECOGNISED
    assert status.deciding([]) is None


def test_failures_are_the_outcomes_that_did_not_get_through() -> None:
    assert {s for s in Status if status.is_failure(s)} == {
        Status.FAILED,
        Status.EXPIRED,
        Status.REJECTED,
        Status.NOT_SUPPORTED,
        Status.ENCODING_FAILED,
        Status.PASS_FAILED,
        Status.PASS_LIMIT_REACHED,
        Status.PASS_NO_CREDITS,
    }
