"""What the consent ledger costs on the wire: DynamoDB requests per postback, and the ledger item's write units.

A counting moto front (tests/benchmarks/wire.py) shares the session server's state; the ingest and
events functions' clients are pointed at it, so every request they make is counted where it arrives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import boto3
import pytest

from postbacks.domain import consent
from postbacks.storage import aws
from postbacks.storage.consent import ledger_pk, ledger_sk
from postbacks_cli.local_stacks import StackResources
from tests import helpers
from tests.benchmarks import item_size
from tests.benchmarks.wire import CountingMotoServer
from tests.consent_bodies import mo
from tests.helpers import Invoke
from tests.moto.conftest import Tap

# Without the ledger: the ingest's conditional PutItem and the events function's status Query.
BASELINE = Counter({"PutItem": 1, "Query": 1})


@pytest.fixture
def wire(tap: Tap, monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingMotoServer]:
    with CountingMotoServer() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
        aws.reset_clients()
        yield server
    aws.reset_clients()


def dynamodb_requests(wire: CountingMotoServer, tap: Tap, ingest: Invoke, body: bytes) -> Counter[str]:
    """The DynamoDB requests one postback makes, from the POST until its events are published."""
    with wire.counting() as counted:
        status, answer = helpers.post(ingest, body)
        assert status == 200, answer
        tap.published()
    return Counter({name: n for (service, name), n in counted.items() if service == "dynamodb"})


def test_delivery_receipt_and_ordinary_message_cost_nothing_more(
    wire: CountingMotoServer, tap: Tap, ingest: Invoke
) -> None:
    # A receipt reads whether its message is already in the number index (docs/status.md); the ledger adds nothing.
    receipt = BASELINE + Counter(Query=1)
    assert dynamodb_requests(wire, tap, ingest, helpers.seed("001_mms_mt_n102_binary.xml")) == receipt
    assert dynamodb_requests(wire, tap, ingest, mo("see you at 5", "2026-12-04T10:00:00Z")) == BASELINE


def test_help_costs_no_write(wire: CountingMotoServer, tap: Tap, ingest: Invoke) -> None:
    assert dynamodb_requests(wire, tap, ingest, mo("HELP", "2026-12-04T10:00:00Z")) == BASELINE


@pytest.mark.parametrize("text", ["STOP", "start", "please stop texting me"])
def test_consent_event_costs_one_update_item(wire: CountingMotoServer, tap: Tap, ingest: Invoke, text: str) -> None:
    assert dynamodb_requests(wire, tap, ingest, mo(text, "2026-12-04T10:00:00Z")) == BASELINE + Counter(UpdateItem=1)


def test_ledger_item_stays_within_one_write_unit_and_enters_no_index(
    wire: CountingMotoServer, tap: Tap, ingest: Invoke, stack: StackResources
) -> None:
    # The largest item an inbound message makes: the longest number and program a ledger keys (15 digits),
    # both registers filled with the longest evidence kept, in 4-byte characters.
    number, program = "1" * consent.MAX_NUMBER_DIGITS, "9" * consent.MAX_NUMBER_DIGITS
    longest = "\U00020000" * 400  # a 4-byte letter: a word, so the message only mentions "stop"
    dynamodb_requests(wire, tap, ingest, mo(f"please stop {longest}", "2026-12-04T10:00:00Z", number, program))
    dynamodb_requests(wire, tap, ingest, mo("STOP " + "\U0001f6d1" * 400, "2026-12-04T11:00:00Z", number, program))
    key = {"pk": {"S": ledger_pk(number)}, "sk": {"S": ledger_sk(number, program)}}
    item = boto3.client("dynamodb").get_item(TableName=stack.table_name, Key=key)["Item"]
    assert item["r_text"]["S"].startswith("please stop ")
    assert item["d_text"]["S"].startswith("STOP ")
    assert len(item["r_text"]["S"].encode()) <= consent.EVIDENCE_TEXT_BYTES
    assert item_size.write_units(item_size.item_size(item)) == 1
    assert not {"subscriber", "failure_bucket", "event_at"} & set(item)  # no index key: no index write
