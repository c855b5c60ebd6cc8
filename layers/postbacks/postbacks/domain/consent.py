"""The consent rule: who may be texted from which program, a function of the set of consent events alone.

A consent event comes from a postback:
- an inbound SMS/MMS (N211, N401) whose keyword or whole text, case, spaces and punctuation aside, is an
  opt-out word, an opt-in word or a help word (`Words`; defaults in data/consent_words.csv);
- an inbound message that merely contains an opt-out word ("please stop texting me"): a possible opt-out,
  recorded for review, never an opt-out by itself;
- N301/N303 (subscribed: opt-in) and N302/N304 (unsubscribed: opt-out).

Its subscriber is the number's digits (MO `from`, subscription `mobile`) or the email lower-cased; its
program is the digits of the shortcode the MO was sent to (`to`), or the subscription's SHORTCODE, else
`campaign:<CAMPAIGNID>`. The state of a subscriber in a program is decided by the greatest of its opt-in
and opt-out events by `Precedence`: the vendor's time (none counts as the earliest instant), then an
opt-out before an opt-in at one instant, then the event id. Arrival order and retries never enter it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from postbacks.domain.codes import Kind, Status
from postbacks.domain.consent_words import Action, Words, classify
from postbacks.domain.numbers import digits

HONOUR_BUSINESS_DAYS = 10  # FCC 24-18: honour a revocation within 10 business days
NO_PROGRAM = "-"
NO_VENDOR_TIME = "-"  # sorts before every digit: an undated event is the earliest instant
EVIDENCE_TEXT_BYTES = 140  # one SMS's payload: the words kept with a decision; the whole text stays in the postback
# Longer is no number (E.164: 15 digits), no email address (RFC 5321: 254) or no campaign id we key a
# ledger item by: such a postback is stored and published as ever, and is no consent event.
MAX_NUMBER_DIGITS = 15
MAX_EMAIL = 254
MAX_PROGRAM = 64


class State(StrEnum):
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    UNKNOWN = "unknown"


DECIDING: dict[Action, State] = {Action.OPT_OUT: State.OPTED_OUT, Action.OPT_IN: State.OPTED_IN}
SUBSCRIPTION_ACTIONS: dict[str, Action] = {Status.SUBSCRIBED: Action.OPT_IN, Status.UNSUBSCRIBED: Action.OPT_OUT}


# --- events --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Precedence:
    """Where one consent event stands among its subscriber's and program's events; greater wins."""

    vendor_at: str  # "" when the vendor gave no usable time: the earliest instant
    opt_out: int  # 1 for an opt-out (or possible one): it wins a tie with an opt-in at one instant
    event_id: str


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    subscriber: str
    program: str
    action: Action
    code: str
    message_key: str
    event_id: str
    vendor_at: str  # "" when the vendor gave no usable time
    received_at: str
    text: str | None = None

    @property
    def precedence(self) -> Precedence:
        return Precedence(self.vendor_at, int(self.action in (Action.OPT_OUT, Action.POSSIBLE_OPT_OUT)), self.event_id)

    @property
    def rank(self) -> str:
        """The precedence as one string in the same order (vendor times are fixed-width, ids hex)."""
        order = self.precedence
        return f"{order.vendor_at or NO_VENDOR_TIME}#{order.opt_out}#{order.event_id}"


def subscriber_of(value: str) -> str:
    """The ledger's form of a subscriber: an email lower-cased, else a number's digits."""
    return value.strip().lower() if "@" in value else digits(value)


def program_of(fields: Mapping[str, Any]) -> str:
    kind = fields.get("kind")
    if kind in (Kind.SMS_MO, Kind.MMS_MO):
        return digits(fields.get("to")) or NO_PROGRAM
    shortcode = digits(fields.get("shortcode"))
    if shortcode:
        return shortcode
    campaign = str(fields.get("campaign_id") or "").strip()
    return f"campaign:{campaign}" if campaign else NO_PROGRAM


def event_of(
    fields: Mapping[str, Any], message_key: str, event_id: str, received_at: str, words: Words
) -> ConsentEvent | None:
    """The consent event a postback (its canonical fields) is, or None."""
    kind = fields.get("kind")
    text: str | None
    if kind in (Kind.SMS_MO, Kind.MMS_MO):
        text, keyword = fields.get("text"), fields.get("keyword")
        action = classify(text, keyword, words)
        subscriber = digits(fields.get("from"))
        text = text or keyword
    elif kind in (Kind.SUBSCRIPTION, Kind.EMAIL_SUBSCRIPTION):
        status = fields.get("status")
        action = SUBSCRIPTION_ACTIONS.get(str(status))
        address = fields.get("email") if kind == Kind.EMAIL_SUBSCRIPTION else fields.get("mobile")
        subscriber = subscriber_of(str(address or ""))
        text = fields.get("source")
    else:
        return None
    program = program_of(fields)
    if action is None or not keyable(subscriber, program):
        return None
    return ConsentEvent(
        subscriber=subscriber,
        program=program,
        action=action,
        code=str(fields.get("code", "")),
        message_key=message_key,
        event_id=event_id,
        vendor_at=str(fields.get("timestamp") or fields.get("notification_created") or ""),
        received_at=received_at,
        text=evidence_text(text),
    )


def keyable(subscriber: str, program: str) -> bool:
    """A subscriber and program the ledger can key (and keep within one write unit for a number)."""
    bound = MAX_EMAIL if "@" in subscriber else MAX_NUMBER_DIGITS
    program_bound = MAX_PROGRAM if program.startswith("campaign:") else MAX_NUMBER_DIGITS
    return 0 < len(subscriber) <= bound and len(program) <= program_bound


def evidence_text(text: str | None) -> str | None:
    """The words as sent, cut to EVIDENCE_TEXT_BYTES of UTF-8 so a ledger item stays within one write unit."""
    if text is None:
        return None
    return text.encode()[:EVIDENCE_TEXT_BYTES].decode(errors="ignore")


# --- the rule ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    """One subscriber's state in one program, with the events that decided it and await review."""

    subscriber: str
    program: str
    state: State = State.UNKNOWN
    decider: ConsentEvent | None = None
    # The state the decider's write replaced: what a change reports. It depends on arrival order (a
    # late, older opt-out never replaces anything), so it is left out of the decision's equality.
    previous_state: State = field(default=State.UNKNOWN, compare=False)
    review: ConsentEvent | None = None  # the latest possible opt-out

    @property
    def review_pending(self) -> bool:
        """A possible opt-out later than the decision: a person must read it."""
        return self.review is not None and (self.decider is None or self.review.rank > self.decider.rank)

    @property
    def honour_by(self) -> str | None:
        if self.state is not State.OPTED_OUT or self.decider is None:
            return None
        return honour_by(self.decider.vendor_at or self.decider.received_at)


def honour_by(instant: str) -> str:
    """The date by which an opt-out at `instant` (UTC ISO) must be honoured: 10 business days after its day.

    Business days are Monday to Friday; US federal holidays are not skipped, so the date is never late.
    """
    day = date.fromisoformat(instant[:10])
    counted = 0
    while counted < HONOUR_BUSINESS_DAYS:
        day += timedelta(days=1)
        counted += day.weekday() < 5
    return day.isoformat()


def decide(events: Iterable[ConsentEvent]) -> dict[tuple[str, str], Decision]:
    """Each (subscriber, program)'s decision: a function of the set of events, whatever their order."""
    decisions: dict[tuple[str, str], Decision] = {}
    for event in sorted(set(events), key=lambda e: e.precedence):
        key = (event.subscriber, event.program)
        decisions[key] = merge(decisions.get(key) or Decision(*key), event).decision
    return decisions


@dataclass(frozen=True, slots=True)
class Merged:
    decision: Decision
    applied: bool  # the event became the decider (or the review): what a conditional write lets through
    changed: bool  # the state changed: exactly when a Consent Changed event is due

    @property
    def change(self) -> tuple[State, State] | None:
        return (self.decision.previous_state, self.decision.state) if self.changed else None


def merge(decision: Decision, event: ConsentEvent) -> Merged:
    """`decision` after `event` arrives: the conditional write the ledger makes, as a pure function.

    An event applies only when it outranks the current decider (or review); so any order of any
    repetitions of a set ends where `decide` does, and each applied change moves to a later rank.
    """
    if event.action is Action.POSSIBLE_OPT_OUT:
        applies = decision.review is None or event.rank > decision.review.rank
        return Merged(replace(decision, review=event) if applies else decision, applies, False)
    state = DECIDING.get(event.action)
    if state is None:
        return Merged(decision, False, False)
    if decision.decider is not None and event.rank <= decision.decider.rank:
        return Merged(decision, False, False)
    after = replace(decision, state=state, decider=event, previous_state=decision.state)
    return Merged(after, True, state is not decision.state)
