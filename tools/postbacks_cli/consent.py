"""`consent`: may this number be texted from this program? The consent ledger's answer, with its evidence.

`postbacks consent NUMBER` prints the number's state in each program (opted_out, opted_in; a program
with no consent event is unknown and not listed) with the postback that decided it and, for an opt-out,
the date by which it must be honoured: one Query. `postbacks consent --opted-out` exports the
suppression list: opted-out subscribers and possible opt-outs awaiting review (`review`), one Query per
ledger shard, never a Scan. Numbers and texts are masked in the tables; --json and --csv are exact.
An email address works wherever a number does (N303/N304).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable
from typing import Any

from postbacks.domain.consent import Decision
from postbacks.domain.privacy import mask, mask_number, mask_text
from postbacks.service import consent, consent_events
from postbacks.storage.consent import ConsentLedger
from postbacks_cli import clients, output, when
from postbacks_cli.output import Exit

CSV_COLUMNS = (
    *("subscriber", "program", "state", "decided_at", "honour_by", "message_key", "event_id", "text"),
    *("review", "review_message_key", "review_text"),
)


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    command = commands.add_parser(
        "consent",
        parents=[common],
        help="a number's consent per program (STOP/START/HELP, N301-N304), or the suppression list",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("number", nargs="?", help="a subscriber's number (any punctuation) or email address")
    command.add_argument("--opted-out", action="store_true", help="every opted-out subscriber (the suppression list)")
    command.add_argument("--since", type=when.since, help=f"with --opted-out: decided at or after: {when.FORMS}")
    command.add_argument("--program", help="with --opted-out: only this program (a shortcode, or campaign:<id>)")
    shape = command.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="one JSON object per subscriber and program, exact")
    shape.add_argument("--csv", action="store_true", help="with --opted-out: CSV with a header row, exact")


def run(table: str, args: argparse.Namespace) -> int:
    if bool(args.number) == bool(args.opted_out):
        output.error("consent needs exactly one of: NUMBER, --opted-out")
        return Exit.USAGE
    ledger = ConsentLedger(table, clients.dynamodb())
    if args.number:
        return show(ledger, args.number, args.json)
    return export(consent.suppression_list(ledger, args.since, args.program), args.json, args.csv)


def show(ledger: ConsentLedger, number: str, as_json: bool) -> int:
    decisions = consent.lookup(ledger, number)
    if not decisions:
        output.error(f"no consent event for {_masked(number)}: unknown in every program")
        return Exit.NOT_FOUND
    if as_json:
        for decision in decisions:
            output.json_line(consent.as_json(decision))
        return Exit.OK
    print(f"{_masked(decisions[0].subscriber)}: consent per program")
    _table(decisions)
    return Exit.OK


def export(decisions: Iterable[Decision], as_json: bool, as_csv: bool) -> int:
    if as_json:
        for decision in decisions:
            output.json_line(consent.as_json(decision))
    elif as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(_csv_row(consent.as_json(decision)) for decision in decisions)
    else:
        _table(decisions, with_subscriber=True)
    return Exit.OK


def _csv_row(document: dict[str, Any]) -> list[Any]:
    evidence, review = document.get("evidence") or {}, document.get("review_evidence") or {}
    row = {**document, **{name: evidence.get(name) for name in ("message_key", "event_id", "text")}}
    row |= {"review": "true" if review else "", "review_message_key": review.get("message_key")}
    row["review_text"] = review.get("text")
    return ["" if row.get(name) is None else row[name] for name in CSV_COLUMNS]


def _table(decisions: Iterable[Decision], with_subscriber: bool = False) -> None:
    headers = ("PROGRAM", "STATE", "DECIDED AT", "HONOUR BY", "CODE", "TEXT", "MESSAGE", "REVIEW")
    rows = []
    for decision in decisions:
        shown = decision.decider or decision.review
        row = (
            decision.program,
            decision.state.value,
            consent.decided_at(decision),
            decision.honour_by or "",
            shown.code if shown else "",
            mask(shown.text, "text") if shown else "",
            shown.message_key if shown else "",  # an identifier, as `list` prints it
            "review" if decision.review_pending else "",
        )
        rows.append(((_masked(decision.subscriber),) if with_subscriber else ()) + row)
    output.table((("SUBSCRIBER",) if with_subscriber else ()) + headers, rows)


def _masked(subscriber: str) -> str:
    return str(mask(subscriber, "email")) if "@" in subscriber else mask_number(subscriber)


def tail_line(event: dict[str, Any]) -> str | None:
    """`tail`'s line for a consent event (None for any other): who, which program, what changed; masked."""
    detail = event.get("detail") or {}
    kind = event.get("detail-type", "")
    if kind not in consent_events.DETAIL_TYPES:
        return None
    head = f"{event.get('time', '')}  {kind:<17}  {_masked(str(detail.get('subscriber', '')))}"
    head += f"  program {detail.get('program', '')}"
    if kind == consent_events.HELP_REQUESTED:
        return mask_text(f"{head}  {detail.get('code', '')} help: answer it")
    evidence = detail.get("evidence") or {}
    honour = f", honour by {detail['honour_by']}" if detail.get("honour_by") else ""
    return mask_text(
        f"{head}  {detail.get('old_state')} -> {detail.get('new_state')}  ({evidence.get('code')}{honour})"
    )
