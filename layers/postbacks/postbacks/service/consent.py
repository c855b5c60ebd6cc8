"""The consent ledger's service: stored postback items in, ledger decisions out, and their JSON form.

The events function hands each new postback item to `record`; the CLI reads through `lookup` and
`suppression_list`. Words come from CONSENT_WORDS (the template's ConsentWords parameter) when set,
else the shipped defaults (domain/data/consent_words.csv).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from postbacks.domain import consent
from postbacks.domain.consent import ConsentEvent, Decision, Merged, State
from postbacks.domain.consent_words import Action, Words, words_from
from postbacks.service.settings import SettingsError
from postbacks.storage import codec
from postbacks.storage.consent import ConsentLedger

WORDS_VARIABLE = "CONSENT_WORDS"


@cache
def words() -> Words:
    """Read once per container; a malformed CONSENT_WORDS fails the function's first batch, loudly."""
    try:
        return words_from(os.environ.get(WORDS_VARIABLE))
    except ValueError as error:
        raise SettingsError(f"malformed environment variable {WORDS_VARIABLE}: {error}") from None


def event_of_item(item: Mapping[str, Any], words: Words) -> ConsentEvent | None:
    """The consent event a stored postback item (plain values) is; None for any other item."""
    if item.get("item") != codec.POSTBACK_ITEM:
        return None
    fields = codec.event_of(item).fields
    return consent.event_of(
        fields, str(item["message_key"]), str(item["event_id"]), str(item.get("received_at", "")), words
    )


@dataclass(frozen=True, slots=True)
class Recorded:
    event: ConsentEvent
    merged: Merged | None  # None for HELP: it asks for an answer and changes no state


def record(items: Iterable[Mapping[str, Any]], ledger: ConsentLedger, words: Words) -> list[Recorded]:
    """Each consent event among `items`, applied to the ledger in order; one UpdateItem each (none for HELP)."""
    recorded: list[Recorded] = []
    for item in items:
        event = event_of_item(item, words)
        if event is not None:
            recorded.append(Recorded(event, None if event.action is Action.HELP else ledger.record(event)))
    return recorded


def lookup(ledger: ConsentLedger, subscriber: str) -> list[Decision]:
    """A number's (or email's) decisions, one per program, in program order."""
    return sorted(ledger.for_subscriber(consent.subscriber_of(subscriber)), key=lambda d: d.program)


def suppression_list(ledger: ConsentLedger, since: str | None = None, program: str | None = None) -> Iterator[Decision]:
    """Who must not be texted: opted out (and possible opt-outs awaiting review), decided at or after `since`."""
    for decision in ledger.opted_out():
        if program is not None and decision.program != program:
            continue
        if since is not None and decided_at(decision) < since:
            continue
        yield decision


def decided_at(decision: Decision) -> str:
    """When the shown decision was made: the vendor's time (else our receipt) of its deciding event."""
    shown = decision.decider if decision.state is not State.UNKNOWN else decision.review
    return "" if shown is None else shown.vendor_at or shown.received_at


def evidence(event: ConsentEvent) -> dict[str, Any]:
    return {
        "message_key": event.message_key,
        "event_id": event.event_id,
        "code": event.code,
        "text": event.text,
        "vendor_at": event.vendor_at or None,
        "received_at": event.received_at,
    }


def as_json(decision: Decision) -> dict[str, Any]:
    """One subscriber and program, as `consent --json` prints it and the docs describe it."""
    document: dict[str, Any] = {
        "subscriber": decision.subscriber,
        "program": decision.program,
        "state": decision.state.value,
        "decided_at": decision.decider.vendor_at or None if decision.decider else None,
        "evidence": evidence(decision.decider) if decision.decider else None,
    }
    if decision.honour_by:
        document["honour_by"] = decision.honour_by
    if decision.review_pending and decision.review is not None:
        document["review"] = True
        document["review_evidence"] = evidence(decision.review)
    return document


def ledger_from_settings() -> ConsentLedger:
    from postbacks.service.settings import get_settings

    return ConsentLedger(get_settings().table_name)
