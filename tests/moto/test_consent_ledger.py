"""The consent ledger end to end on moto: ingest -> table -> stream -> events function -> ledger and bus."""

from __future__ import annotations

import boto3

from postbacks.domain.consent import State
from postbacks.service import consent
from postbacks.storage.consent import ConsentLedger
from postbacks_cli.local_stacks import StackResources
from tests import helpers
from tests.consent_bodies import NUMBER, SHORTCODE, mo, subscription
from tests.helpers import Invoke
from tests.moto.conftest import Tap


def post(ingest: Invoke, body: bytes) -> None:
    status, answer = helpers.post(ingest, body)
    assert status == 200, answer


def consent_events(tap: Tap) -> list[dict]:
    return [e for e in tap.published() if e["detail-type"] in ("Consent Changed", "Help Requested")]


def state(stack: StackResources) -> dict:
    [decision] = consent.lookup(ConsentLedger(stack.table_name), "+1 (650) 111-2222")
    return consent.as_json(decision)


def test_stop_publishes_one_consent_changed_with_evidence(tap: Tap, ingest: Invoke, stack: StackResources) -> None:
    post(ingest, mo("STOP!", "2026-12-04T10:00:00Z"))
    [event] = consent_events(tap)
    assert event["detail-type"] == "Consent Changed"
    detail = event["detail"]
    assert (detail["subscriber"], detail["program"]) == (NUMBER, SHORTCODE)
    assert (detail["old_state"], detail["new_state"]) == ("unknown", "opted_out")
    assert detail["evidence"]["text"] == "STOP!"
    assert detail["honour_by"] == "2026-12-18"  # Friday + 10 business days
    assert state(stack)["state"] == "opted_out"


def test_duplicate_and_same_state_publish_nothing(tap: Tap, ingest: Invoke) -> None:
    post(ingest, mo("stop", "2026-12-04T10:00:00Z"))
    assert len(consent_events(tap)) == 1
    post(ingest, mo("stop", "2026-12-04T10:00:00Z"))  # the vendor's retry
    post(ingest, mo(" Quit ", "2026-12-04T11:00:00Z"))  # already opted out
    assert consent_events(tap) == []


def test_late_retried_stop_does_not_undo_a_later_start(tap: Tap, ingest: Invoke, stack: StackResources) -> None:
    post(ingest, mo("START", "2026-12-04T12:00:00Z"))
    [started] = consent_events(tap)
    assert started["detail"]["new_state"] == "opted_in"
    post(ingest, mo("STOP", "2026-12-04T10:00:00Z"))  # sent before the START, arriving after it
    assert consent_events(tap) == []
    assert state(stack)["state"] == "opted_in"


def test_opt_out_wins_a_tie_with_opt_in(tap: Tap, ingest: Invoke, stack: StackResources) -> None:
    post(ingest, mo("stop", "2026-12-04T10:00:00Z"))
    post(ingest, mo("start", "2026-12-04T10:00:00Z"))
    assert [e["detail"]["new_state"] for e in consent_events(tap)] == ["opted_out"]
    assert state(stack)["state"] == "opted_out"


def test_help_publishes_help_requested_and_changes_nothing(tap: Tap, ingest: Invoke, stack: StackResources) -> None:
    post(ingest, mo("Help?", "2026-12-04T10:00:00Z"))
    [event] = consent_events(tap)
    assert event["detail-type"] == "Help Requested"
    assert event["detail"]["text"] == "Help?"
    assert consent.lookup(ConsentLedger(stack.table_name), NUMBER) == []


def test_possible_opt_out_awaits_review_without_changing_state(tap: Tap, ingest: Invoke, stack: StackResources) -> None:
    post(ingest, mo("START", "2026-12-04T09:00:00Z"))
    consent_events(tap)
    post(ingest, mo("please stop texting me", "2026-12-04T10:00:00Z"))
    assert consent_events(tap) == []
    shown = state(stack)
    assert (shown["state"], shown["review"]) == ("opted_in", True)
    assert shown["review_evidence"]["text"] == "please stop texting me"


def test_n302_opts_out_the_shortcodes_program(tap: Tap, ingest: Invoke, stack: StackResources) -> None:
    post(ingest, subscription("N301", "2026-12-04T09:00:00Z"))
    post(ingest, subscription("N302", "2026-12-04T10:00:00Z"))
    changes = [e["detail"] for e in consent_events(tap)]
    assert [(c["old_state"], c["new_state"]) for c in changes] == [("unknown", "opted_in"), ("opted_in", "opted_out")]
    assert state(stack)["evidence"]["code"] == "N302"


def test_ordinary_message_and_dlr_write_nothing_to_the_ledger(tap: Tap, ingest: Invoke, stack: StackResources) -> None:
    post(ingest, mo("see you at 5", "2026-12-04T10:00:00Z"))
    post(ingest, helpers.seed("001_mms_mt_n102_binary.xml"))
    assert consent_events(tap) == []
    table = boto3.client("dynamodb")
    keys = table.scan(TableName=stack.table_name, ProjectionExpression="pk")["Items"]  # test-only look at all items
    assert not [k for k in keys if k["pk"]["S"].startswith("~consent:")]


def test_suppression_list_drops_a_number_that_opted_back_in(tap: Tap, ingest: Invoke, stack: StackResources) -> None:
    post(ingest, mo("stop", "2026-12-04T10:00:00Z"))
    post(ingest, mo("stop", "2026-12-04T10:00:00Z", number="16503334444"))
    tap.published()
    ledger = ConsentLedger(stack.table_name)
    assert sorted(d.subscriber for d in consent.suppression_list(ledger)) == ["16501112222", "16503334444"]
    post(ingest, mo("unstop", "2026-12-05T10:00:00Z"))
    tap.published()
    assert [d.subscriber for d in consent.suppression_list(ledger)] == ["16503334444"]
    assert [d.subscriber for d in consent.suppression_list(ledger, since="2026-12-05")] == []
    assert list(consent.suppression_list(ledger, program="99999")) == []


def test_email_unsubscribe_is_keyed_by_the_lower_cased_address(tap: Tap, ingest: Invoke, stack: StackResources) -> None:
    body = (
        b"<POSTBACK><ORIGIN>EMAIL_SUB</ORIGIN><CODE>N304</CODE><EMAIL>Ann@Example.COM</EMAIL>"
        b"<CAMPAIGNID>77</CAMPAIGNID><TIMESTAMP>2026-12-04T10:00:00Z</TIMESTAMP></POSTBACK>"
    )
    post(ingest, body)
    [event] = consent_events(tap)
    assert (event["detail"]["subscriber"], event["detail"]["program"]) == ("ann@example.com", "campaign:77")
    [decision] = consent.lookup(ConsentLedger(stack.table_name), "ANN@example.com")
    assert decision.state is State.OPTED_OUT
