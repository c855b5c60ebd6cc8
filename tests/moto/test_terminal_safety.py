"""Nothing a sender wrote drives the operator's terminal: every command's human output, hostile values everywhere.

A JSON postback carries hostile text in every field a sender controls; it is stored (or refused and kept),
then `show`, `list`, `list --full`, `stats`, `rejected --detail`, `replay` and `dlq` print it for a person.
Their output holds no control, bidi or format character but the newlines the CLI writes, and no line a
value started. `--json` gives the values back exactly.
"""

from __future__ import annotations

import json
import unicodedata

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postbacks_cli import cli
from postbacks_cli.local_stacks import StackResources
from tests.helpers import Invoke, post

FORGED = "FORGED"
# Escape sequences, terminal controls, bidi and invisible format characters, and a line break before a line
# that would pass for one of the table's own.
PIECES = (
    "\x1b[2J",
    "\x1b]0;pwned\x07",
    "\x1b[31m",
    "\x9b1;31m",
    "\x07",
    "\x08",
    "\x7f",
    "\x85",
    "\r",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u200f",
    "\u061c",
    "\u200b",
    "\u2028",
    "\ufeff",
    f"x\n{FORGED}  N101  delivered",
    f"x\r\n{FORGED}",
)
UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Cn"}
hostile = st.lists(
    st.sampled_from(PIECES) | st.text(alphabet=st.characters(codec="utf-8"), max_size=3), min_size=1, max_size=5
).map("".join)


def unsafe_characters(text: str) -> set[str]:
    return {char for char in text if char != "\n" and unicodedata.category(char) in UNSAFE_CATEGORIES}


def assert_safe(printed: str) -> None:
    assert unsafe_characters(printed) == set(), printed
    assert not [line for line in printed.splitlines() if line.lstrip().startswith(FORGED)], printed


def run(capsys: pytest.CaptureFixture[str], stack: StackResources, *arguments: str) -> str:
    named = ["--table", stack.table_name, "--bucket", stack.bucket_name, "--queue-url", stack.queue_url]
    cli.main([*named, "--dlq-url", stack.dead_letter_queue_url, *arguments])
    captured = capsys.readouterr()
    # The functions log JSON lines to stdout in this same process: those are not the CLI's.
    lines = [line for line in captured.out.splitlines(keepends=True) if not line.startswith(('{"level"', '{"_aws"'))]
    return "".join(lines) + captured.err


def postback(fields: dict[str, str], tracking_id: str, number: str) -> bytes:
    document = {
        "origin": "MMS_MT",
        "code": "E101",
        "status": fields["status"],
        "status-details": fields["details"],
        "mms-id": fields["mms"],
        "from": fields["from"],
        "to": number,
        "tracking-id": tracking_id,
        "operator-id": fields["operator"],
        "operator-name": fields["operator_name"],
        "timestamp": "2026-11-22T10:00:00.000000+00:00",
    }
    return json.dumps(document).encode()


FIELDS = ("status", "details", "mms", "from", "operator", "operator_name")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries(dict.fromkeys(FIELDS, hostile)), key=hostile)
def test_every_human_output_shows_hostile_values_without_obeying_them(
    stack: StackResources, ingest: Invoke, capsys: pytest.CaptureFixture[str], values: dict[str, str], key: str
) -> None:
    number = "16505550123"
    post(ingest, postback(values, key, number), "application/json")
    # A refused body is kept: `rejected` and `replay` print it; an accepted one is listed and shown.
    post(ingest, b'{"code": ' + json.dumps(key).encode() + b", " + json.dumps(values)[1:].encode(), "application/json")
    boto3.client("sqs").send_message(QueueUrl=stack.dead_letter_queue_url, MessageBody=key + values["details"])
    outputs = [
        run(capsys, stack, "list", "--number", number),
        run(capsys, stack, "list", "--number", number, "--full"),
        run(capsys, stack, "list", "--status", "failed", "--since", "2026-11-22", "--until", "2026-11-22", "--full"),
        run(capsys, stack, "stats", "--source", "table", "--since", "2026-11-22"),
        run(capsys, stack, "rejected", "--detail"),
        run(capsys, stack, "dlq"),
        run(capsys, stack, "show", key),
        run(capsys, stack, "replay", "--all"),
    ]
    for printed in outputs:
        assert_safe(printed)


def test_json_output_gives_a_senders_values_back_exactly(
    stack: StackResources, ingest: Invoke, capsys: pytest.CaptureFixture[str]
) -> None:
    details = "\x1b[2J\u202eMMS is too big\r\nFORGED"
    fields = dict.fromkeys(FIELDS, "x") | {"status": "Failed", "details": details}
    assert post(ingest, postback(fields, "hostile-json-1", "16505550124"), "application/json")[0] == 200
    capsys.readouterr()
    cli.main(["--stack", stack.stack_name, "show", "hostile-json-1", "--json"])
    [document] = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"message_key"')
    ]
    [event] = document["events"]
    assert event["status_details"] == details


def test_show_prints_an_escape_sequence_as_text(
    stack: StackResources, ingest: Invoke, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = dict.fromkeys(FIELDS, "x") | {"status": "Failed", "details": "\x1b]0;pwned\x07\u202e"}
    assert post(ingest, postback(fields, "hostile-show-1", "16505550125"), "application/json")[0] == 200
    printed = run(capsys, stack, "show", "hostile-show-1")
    assert "\\x1b]0;pwned\\x07\\u202e" in printed
