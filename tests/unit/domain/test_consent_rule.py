"""The consent rule (domain.consent): a subscriber's state in a program is a function of the set of its events.

Each delivery sequence is played through `merge`, the model of the ledger's conditional write, and
must end where `decide` on the set does, whatever the order and the duplication; the changes it reports
form one chain ending in the final state.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from postbacks.domain import consent
from postbacks.domain.consent import Action, ConsentEvent, Decision, State

NUMBER, PROGRAM = "16501112222", "60856"
# Undated, two distinct instants, and a repeat of one of them (a tie).
TIMES = ("", "2026-12-04T10:00:00.000000Z", "2026-12-04T10:00:00.000000Z", "2026-12-04T11:00:00.000000Z")


def event(action: Action, vendor_at: str = "", event_id: str = "e1", program: str = PROGRAM) -> ConsentEvent:
    return ConsentEvent(NUMBER, program, action, "N211", f"~pb:{event_id}", event_id, vendor_at, "2026-12-04T12:00:00Z")


EVENTS = st.builds(
    event,
    action=st.sampled_from([Action.OPT_OUT, Action.OPT_IN, Action.POSSIBLE_OPT_OUT]),
    vendor_at=st.sampled_from(TIMES),
    event_id=st.text("0123456789abcdef", min_size=32, max_size=32),
    program=st.sampled_from([PROGRAM, "12345"]),
)


def fold(deliveries: list[ConsentEvent]) -> tuple[dict[tuple[str, str], Decision], list[consent.Merged]]:
    """What the ledger holds after these deliveries, one conditional write each, and every write's answer."""
    ledger: dict[tuple[str, str], Decision] = {}
    answers = []
    for delivered in deliveries:
        key = (delivered.subscriber, delivered.program)
        merged = consent.merge(ledger.get(key) or Decision(*key), delivered)
        ledger[key] = merged.decision
        answers.append(merged)
    return ledger, answers


@settings(max_examples=400, deadline=None)
@given(st.lists(EVENTS, min_size=1, max_size=7, unique_by=lambda e: e.event_id), st.data())
def test_state_is_a_function_of_the_set_whatever_the_order_and_duplication(
    events: list[ConsentEvent], data: st.DataObject
) -> None:
    expected = consent.decide(events)
    # Any order, each event delivered one to five times (the sender retries up to five times).
    deliveries = data.draw(st.permutations([e for e in events for _ in range(data.draw(st.integers(1, 5)))]))
    ledger, _ = fold(deliveries)
    assert ledger == expected


@settings(max_examples=400, deadline=None)
@given(st.lists(EVENTS, min_size=1, max_size=7, unique_by=lambda e: e.event_id), st.data())
def test_changes_form_one_chain_ending_in_the_final_state(events: list[ConsentEvent], data: st.DataObject) -> None:
    deliveries = data.draw(st.permutations([e for e in events for _ in range(data.draw(st.integers(1, 3)))]))
    ledger, answers = fold(deliveries)
    for key, final in ledger.items():
        changes = [m.decision for m in answers if m.changed and (m.decision.subscriber, m.decision.program) == key]
        # No change is reported twice, each one moves the state, each starts where the one before ended.
        assert len({c.decider for c in changes}) == len(changes)
        assert all(c.previous_state is not c.state for c in changes)
        assert [c.previous_state for c in changes] == [State.UNKNOWN, *(c.state for c in changes)][: len(changes)]
        assert [c.state for c in changes[-1:]] == ([final.state] if final.state is not State.UNKNOWN else [])


@given(st.lists(EVENTS, min_size=2, max_size=6))
def test_rank_string_order_is_the_precedence_order(events: list[ConsentEvent]) -> None:
    by_precedence = sorted(events, key=lambda e: e.precedence)
    by_rank = sorted(events, key=lambda e: e.rank)
    assert [e.precedence for e in by_rank] == [e.precedence for e in by_precedence]


def test_opt_out_wins_a_tie_with_an_opt_in_at_one_instant() -> None:
    stop, start = event(Action.OPT_OUT, TIMES[1], "0" * 32), event(Action.OPT_IN, TIMES[1], "f" * 32)
    assert consent.decide([stop, start])[(NUMBER, PROGRAM)].state is State.OPTED_OUT
    assert consent.decide([start, stop])[(NUMBER, PROGRAM)].decider == stop


def test_later_opt_in_beats_an_earlier_opt_out() -> None:
    stop, start = event(Action.OPT_OUT, TIMES[1], "a"), event(Action.OPT_IN, TIMES[3], "b")
    assert consent.decide([start, stop])[(NUMBER, PROGRAM)].state is State.OPTED_IN


def test_undated_event_counts_as_the_earliest_instant() -> None:
    undated_stop, dated_start = event(Action.OPT_OUT, "", "f"), event(Action.OPT_IN, TIMES[1], "0")
    assert consent.decide([dated_start, undated_stop])[(NUMBER, PROGRAM)].state is State.OPTED_IN


def test_equal_time_and_action_are_decided_by_event_id() -> None:
    first, second = event(Action.OPT_OUT, TIMES[1], "a"), event(Action.OPT_OUT, TIMES[1], "b")
    assert consent.decide([second, first])[(NUMBER, PROGRAM)].decider == second


def test_programs_are_decided_apart() -> None:
    decided = consent.decide([event(Action.OPT_OUT, TIMES[1], "a"), event(Action.OPT_IN, TIMES[3], "b", "12345")])
    assert {key[1]: d.state for key, d in decided.items()} == {PROGRAM: State.OPTED_OUT, "12345": State.OPTED_IN}


def test_possible_opt_out_awaits_review_and_changes_no_state() -> None:
    start, maybe = event(Action.OPT_IN, TIMES[1], "a"), event(Action.POSSIBLE_OPT_OUT, TIMES[3], "b")
    decision = consent.decide([start, maybe])[(NUMBER, PROGRAM)]
    assert (decision.state, decision.review_pending, decision.review) == (State.OPTED_IN, True, maybe)
    assert consent.merge(Decision(NUMBER, PROGRAM), maybe).changed is False


def test_review_is_no_longer_pending_once_a_later_event_decides() -> None:
    maybe, stop = event(Action.POSSIBLE_OPT_OUT, TIMES[1], "a"), event(Action.OPT_OUT, TIMES[3], "b")
    assert consent.decide([maybe, stop])[(NUMBER, PROGRAM)].review_pending is False


def test_possible_opt_out_alone_leaves_the_state_unknown() -> None:
    decision = consent.decide([event(Action.POSSIBLE_OPT_OUT, TIMES[1])])[(NUMBER, PROGRAM)]
    assert (decision.state, decision.review_pending, decision.honour_by) == (State.UNKNOWN, True, None)


def test_help_is_no_state_event() -> None:
    merged = consent.merge(Decision(NUMBER, PROGRAM), event(Action.HELP, TIMES[1]))
    assert (merged.applied, merged.changed, merged.decision.state) == (False, False, State.UNKNOWN)


def test_first_opt_out_is_a_change_from_unknown() -> None:
    merged = consent.merge(Decision(NUMBER, PROGRAM), event(Action.OPT_OUT, TIMES[1]))
    assert (merged.applied, merged.change) == (True, (State.UNKNOWN, State.OPTED_OUT))


def test_same_event_again_applies_nothing() -> None:
    stop = event(Action.OPT_OUT, TIMES[1])
    once = consent.merge(Decision(NUMBER, PROGRAM), stop).decision
    again = consent.merge(once, stop)
    assert (again.applied, again.changed, again.decision) == (False, False, once)


def test_honour_by_is_ten_business_days_after_the_deciding_opt_out() -> None:
    # Friday 4 December 2026 -> Friday 18 December (two weekends skipped).
    assert consent.honour_by("2026-12-04T10:00:00.000000Z") == "2026-12-18"
    # Saturday counts from the next business days: Monday 7th is day 1, Friday 18th day 10.
    assert consent.honour_by("2026-12-05T10:00:00Z") == "2026-12-18"
    # Federal holidays are not skipped: 25 December 2026 (Friday) counts as a business day.
    assert consent.honour_by("2026-12-21T10:00:00Z") == "2027-01-04"


def test_honour_by_only_for_an_opt_out_and_from_receipt_when_undated() -> None:
    undated = event(Action.OPT_OUT, "")
    assert consent.decide([undated])[(NUMBER, PROGRAM)].honour_by == "2026-12-18"  # received 2026-12-04
    assert consent.decide([event(Action.OPT_IN, TIMES[1])])[(NUMBER, PROGRAM)].honour_by is None
