"""The ledger's conditional write on moto: the stored decision is the rule's, whatever the order or duplication."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postbacks.domain import consent
from postbacks.domain.consent import ConsentEvent, State
from postbacks.domain.consent_words import Action
from postbacks.storage.consent import ConsentLedger
from postbacks_cli.local_stacks import StackResources

TIMES = ("", "2026-12-04T10:00:00.000000Z", "2026-12-04T11:00:00.000000Z")
_numbers = itertools.count(16500000000)


def event(number: str, action: Action, vendor_at: str, event_id: str) -> ConsentEvent:
    return ConsentEvent(number, "60856", action, "N211", f"~pb:{event_id}", event_id, vendor_at, "2026-12-04T12:00:00Z")


SHAPES = st.tuples(
    st.sampled_from([Action.OPT_OUT, Action.OPT_IN, Action.POSSIBLE_OPT_OUT]),
    st.sampled_from(TIMES),
    st.text("0123456789abcdef", min_size=8, max_size=8),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(SHAPES, min_size=1, max_size=5, unique_by=lambda s: s[2]), st.data())
def test_stored_decision_is_the_rule_whatever_the_order_and_duplication(
    stack: StackResources, shapes: list[tuple[Action, str, str]], data: st.DataObject
) -> None:
    number = str(next(_numbers))  # a fresh subscriber per example: the table is shared by the examples
    events = [event(number, *shape) for shape in shapes]
    ledger = ConsentLedger(stack.table_name)
    deliveries = data.draw(st.permutations([e for e in events for _ in range(data.draw(st.integers(1, 3)))]))
    changes = [m.decision for m in (ledger.record(e) for e in deliveries) if m.changed]
    expected = consent.decide(events).get((number, "60856"))
    stored = ledger.for_subscriber(number)
    assert stored == ([expected] if expected else [])
    # Exactly one reported change per move of the stored state, the last one into the final state.
    assert all(c.previous_state is not c.state for c in changes)
    if changes:
        assert changes[-1].state is stored[0].state


def test_every_interleaving_of_racing_opposite_events_ends_in_the_later_ones_favour(stack: StackResources) -> None:
    # DynamoDB applies conditional writes to one item one at a time, so concurrent processing is one of
    # these orders. (moto does not serialise them: threads sent at once can both pass the condition.)
    ledger = ConsentLedger(stack.table_name)
    for order in sorted(set(itertools.permutations("SPSP"))):
        number = str(next(_numbers))
        stop = event(number, Action.OPT_OUT, TIMES[1], "a" * 8)
        start = event(number, Action.OPT_IN, TIMES[2], "b" * 8)
        answers = [ledger.record(stop if name == "S" else start) for name in order]
        changes = [(a.decision.previous_state, a.decision.state) for a in answers if a.changed]
        [stored] = ledger.for_subscriber(number)
        assert stored.state is State.OPTED_IN
        # STOP first: two moves; START first: one move and STOP refused. A retry of START reports it again.
        moves = set(changes)
        assert moves in (
            {(State.UNKNOWN, State.OPTED_IN)},
            {(State.UNKNOWN, State.OPTED_OUT), (State.OPTED_OUT, State.OPTED_IN)},
        )
        assert changes[-1][1] is State.OPTED_IN


def test_retry_of_the_deciding_event_reports_its_change_again(stack: StackResources) -> None:
    ledger = ConsentLedger(stack.table_name)
    stop = event("16509998888", Action.OPT_OUT, TIMES[1], "c" * 8)
    first, retried = ledger.record(stop), ledger.record(stop)
    assert (first.applied, first.change) == (True, (State.UNKNOWN, State.OPTED_OUT))
    # A Lambda retry of the same batch: nothing is written, and the change is not lost if the first publish was.
    assert (retried.applied, retried.change) == (False, (State.UNKNOWN, State.OPTED_OUT))
    later = event("16509998888", Action.OPT_OUT, TIMES[0], "d" * 8)  # an older opt-out arriving late
    assert ledger.record(later).changed is False
