"""`postbacks tail` prints the consent ledger's events: who (masked), which program, what changed."""

from __future__ import annotations

from postbacks_cli.tail import line


def test_consent_changed_line_masks_the_number_and_gives_the_change() -> None:
    event = {
        "time": "2026-12-04T10:00:01Z",
        "detail-type": "Consent Changed",
        "detail": {
            "subscriber": "16501112222",
            "program": "60856",
            "old_state": "unknown",
            "new_state": "opted_out",
            "honour_by": "2026-12-18",
            "evidence": {"code": "N211", "text": "STOP from 16501112222"},
        },
    }
    assert line(event) == (
        "2026-12-04T10:00:01Z  Consent Changed    ***2222  program 60856  unknown -> opted_out"
        "  (N211, honour by 2026-12-18)"
    )


def test_help_requested_line_asks_for_an_answer() -> None:
    event = {
        "time": "t",
        "detail-type": "Help Requested",
        "detail": {"subscriber": "16501112222", "program": "60856", "code": "N211", "text": "HELP"},
    }
    assert line(event) == "t  Help Requested     ***2222  program 60856  N211 help: answer it"
