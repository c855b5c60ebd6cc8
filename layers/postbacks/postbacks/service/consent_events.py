"""`Consent Changed` and `Help Requested`: the consent ledger's events, published beside `Postback Received`.

`Consent Changed` is built only when the ledger's conditional write moved a state (`Merged.changed`):
one per change, none for a duplicate or for an event that changes nothing. `Help Requested` is built
for every new HELP/INFO message, so the customer's system can answer it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from postbacks.domain.consent import ConsentEvent, Decision
from postbacks.domain.consent_words import Words
from postbacks.service import consent
from postbacks.service.events import Event
from postbacks.storage.consent import ConsentLedger

CONSENT_CHANGED = "Consent Changed"
HELP_REQUESTED = "Help Requested"
DETAIL_TYPES = (CONSENT_CHANGED, HELP_REQUESTED)


def consent_changed(decision: Decision) -> Event:
    detail = {
        "subscriber": decision.subscriber,
        "program": decision.program,
        "old_state": decision.previous_state.value,
        "new_state": decision.state.value,
        **{k: v for k, v in consent.as_json(decision).items() if k not in ("subscriber", "program", "state")},
    }
    return Event(CONSENT_CHANGED, detail)


def help_requested(event: ConsentEvent) -> Event:
    detail = {"subscriber": event.subscriber, "program": event.program, **consent.evidence(event)}
    return Event(HELP_REQUESTED, detail)


def consent_events_for(
    items: Iterable[Mapping[str, Any]], ledger: ConsentLedger, words: Words | None = None
) -> list[Event]:
    """The ledger's events for new stored items, after applying each consent event to the ledger."""
    events: list[Event] = []
    for recorded in consent.record(items, ledger, words or consent.words()):
        if recorded.merged is None:
            events.append(help_requested(recorded.event))
        elif recorded.merged.changed:
            events.append(consent_changed(recorded.merged.decision))
    return events
