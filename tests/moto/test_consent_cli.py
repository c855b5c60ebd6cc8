"""`postbacks consent NUMBER` and `consent --opted-out` on moto, after postbacks went through the events pipe."""

from __future__ import annotations

import csv
import io
import json

import pytest

from postbacks_cli import cli
from postbacks_cli.local_stacks import StackResources
from postbacks_cli.output import Exit
from tests import helpers
from tests.consent_bodies import mo, subscription
from tests.helpers import Invoke
from tests.moto.conftest import Tap

OTHER = "16503334444"


@pytest.fixture
def ledger(tap: Tap, ingest: Invoke, stack: StackResources) -> StackResources:
    """16501112222: STOP to 60856 then a possible opt-out; opted in to 12345 by N301. 16503334444: N302."""
    for body in (
        mo("Stop.", "2026-12-04T10:00:00Z"),
        mo("please stop texting me", "2026-12-04T11:00:00Z"),
        subscription("N301", "2026-12-04T09:00:00Z", shortcode="12345"),
        subscription("N302", "2026-12-03T09:00:00Z", number=OTHER),
    ):
        status, answer = helpers.post(ingest, body)
        assert status == 200, answer
    tap.published()
    return stack


def run(stack: StackResources, capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str]:
    code = cli.main(["--table", stack.table_name, "consent", *arguments])
    return code, capsys.readouterr().out


def test_number_json_gives_one_exact_object_per_program(
    ledger: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(ledger, capsys, "+1 650-111-2222", "--json")
    assert code == Exit.OK
    by_program = {doc["program"]: doc for doc in map(json.loads, out.splitlines())}
    stop, subscribed = by_program["60856"], by_program["12345"]
    assert (stop["subscriber"], stop["state"], stop["decided_at"]) == (
        "16501112222",
        "opted_out",
        "2026-12-04T10:00:00.000000Z",
    )
    assert stop["evidence"]["text"] == "Stop."
    assert stop["evidence"]["message_key"].startswith("~pb:")
    assert stop["honour_by"] == "2026-12-18"
    assert stop["review"] is True
    assert stop["review_evidence"]["text"] == "please stop texting me"
    assert (subscribed["state"], subscribed["evidence"]["code"]) == ("opted_in", "N301")
    assert "honour_by" not in subscribed
    assert "review" not in subscribed


def test_number_table_masks_the_number_and_the_text(ledger: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(ledger, capsys, "16501112222")
    assert code == Exit.OK
    assert "***2222" in out
    assert "16501112222" not in out
    assert "Stop." not in out
    assert "[masked]" in out
    assert "opted_out" in out


def test_unknown_number_is_not_found(ledger: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(ledger, capsys, "19999999999", "--json")
    assert (code, out) == (Exit.NOT_FOUND, "")


def test_opted_out_csv_exports_the_suppression_list_exactly(
    ledger: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(ledger, capsys, "--opted-out", "--csv")
    assert code == Exit.OK
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted((r["subscriber"], r["program"], r["state"], r["review"]) for r in rows) == [
        ("16501112222", "60856", "opted_out", "true"),
        (OTHER, "60856", "opted_out", ""),
    ]
    [reviewed] = [r for r in rows if r["review"]]
    assert (reviewed["text"], reviewed["review_text"]) == ("Stop.", "please stop texting me")


def test_opted_out_filters_by_program_and_since(ledger: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(ledger, capsys, "--opted-out", "--json", "--since", "2026-12-04")
    assert [json.loads(line)["subscriber"] for line in out.splitlines()] == ["16501112222"]
    _, out = run(ledger, capsys, "--opted-out", "--json", "--program", "12345")
    assert out == ""


def test_opted_out_table_masks_numbers(ledger: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(ledger, capsys, "--opted-out")
    assert OTHER not in out
    assert "***4444" in out


def test_needs_a_number_or_opted_out(ledger: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(ledger, capsys)[0] == Exit.USAGE
    assert run(ledger, capsys, "16501112222", "--opted-out")[0] == Exit.USAGE
