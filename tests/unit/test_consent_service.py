"""The consent ledger's service without AWS: words from the environment, the JSON form, and the events built."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from postbacks.domain.consent import Action, ConsentEvent, Decision, Merged, State
from postbacks.service import consent, consent_events
from postbacks.service.settings import SettingsError

STOP = ConsentEvent(
    "16501112222", "60856", Action.OPT_OUT, "N211", "~pb:a", "a", "2026-12-04T10:00:00.000000Z", "r", "STOP"
)
START = ConsentEvent("16501112222", "60856", Action.OPT_IN, "N211", "~pb:b", "b", "", "2026-12-05T09:00:00Z", "start")


@pytest.fixture(autouse=True)
def fresh_words() -> Iterator[None]:
    consent.words.cache_clear()
    yield
    consent.words.cache_clear()


def test_words_come_from_consent_words_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSENT_WORDS", '{"help": ["aide"]}')
    assert consent.words().help == frozenset({"aide"})


def test_malformed_consent_words_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSENT_WORDS", "stop,quit")
    with pytest.raises(SettingsError, match="CONSENT_WORDS"):
        consent.words()


def test_json_of_an_opt_out_has_evidence_and_honour_by() -> None:
    document = consent.as_json(Decision("16501112222", "60856", State.OPTED_OUT, STOP))
    assert document == {
        "subscriber": "16501112222",
        "program": "60856",
        "state": "opted_out",
        "decided_at": "2026-12-04T10:00:00.000000Z",
        "evidence": {
            "message_key": "~pb:a",
            "event_id": "a",
            "code": "N211",
            "text": "STOP",
            "vendor_at": "2026-12-04T10:00:00.000000Z",
            "received_at": "r",
        },
        "honour_by": "2026-12-18",
    }


def test_undated_decision_has_no_decided_at_but_a_receipt_time() -> None:
    document = consent.as_json(Decision("16501112222", "60856", State.OPTED_IN, START))
    assert document["decided_at"] is None
    assert document["evidence"]["received_at"] == "2026-12-05T09:00:00Z"
    assert "honour_by" not in document


class FakeLedger:
    """Applies events with the rule's own write model, as the table's conditional write does."""

    def __init__(self) -> None:
        self.decisions: dict[tuple[str, str], Decision] = {}

    def record(self, event: ConsentEvent) -> Merged:
        from postbacks.domain.consent import merge

        key = (event.subscriber, event.program)
        merged = merge(self.decisions.get(key) or Decision(*key), event)
        self.decisions[key] = merged.decision
        return merged


def mo_item(text: str, event_id: str, at: str) -> dict[str, str]:
    item = {"item": "postback", "pk": f"~pb:{event_id}", "message_key": f"~pb:{event_id}", "event_id": event_id}
    fields = {"kind": "sms_mo", "code": "N211", "status": "received", "to": "60856", "text": text, "timestamp": at}
    return {**item, **fields, "from": "16501112222", "received_at": "r"}


def test_events_for_stop_start_retry_and_help() -> None:
    ledger = FakeLedger()
    items = [
        mo_item("STOP", "a", "2026-12-04T10:00:00.000000Z"),
        mo_item("START", "b", "2026-12-04T10:05:00.000000Z"),
        mo_item("STOP", "a", "2026-12-04T10:00:00.000000Z"),  # the same postback again
        mo_item("see you", "c", "2026-12-04T10:06:00.000000Z"),
        mo_item("HELP", "d", "2026-12-04T10:07:00.000000Z"),
        {"item": "media", "pk": "~pb:x"},
    ]
    published = consent_events.consent_events_for(items, ledger)  # type: ignore[arg-type]
    assert [(e.detail_type, e.detail.get("old_state"), e.detail.get("new_state")) for e in published] == [
        ("Consent Changed", "unknown", "opted_out"),
        ("Consent Changed", "opted_out", "opted_in"),
        ("Help Requested", None, None),
    ]
    assert published[0].detail["honour_by"] == "2026-12-18"
    assert published[2].detail["text"] == "HELP"
