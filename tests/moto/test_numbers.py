"""Every message is findable by its number, in any spelling, a receipt-only one included, at one extra read at most.

The requests are counted at the client (botocore's before-call event): what DynamoDB would bill is what is sent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from postbacks.storage import keys
from postbacks.storage.store import PostbackStore
from postbacks_cli import cli, tail
from postbacks_cli.local_stacks import StackResources
from tests.benchmarks.item_size import item_size, write_units
from tests.helpers import save_seed, seed

TRACKING = "TU1TXzU5Nzg3OQ=="  # the seeds' MMS MT


@pytest.fixture
def store(stack: StackResources) -> PostbackStore:
    return PostbackStore(stack.table_name)


@pytest.fixture
def requests(store: PostbackStore) -> list[tuple[str, dict[str, Any]]]:
    """Each DynamoDB operation the store's client sends from now on, with its parameters."""
    sent: list[tuple[str, dict[str, Any]]] = []
    store.client.meta.events.register(
        "before-call.dynamodb", lambda model, params, **_: sent.append((model.name, params["body"]))
    )
    return sent


def spelled(body: bytes, number: str) -> bytes:
    return body.replace(b"<TO>16501112222</TO>", f"<TO>{number}</TO>".encode())


def messages_of(store: PostbackStore, number: str) -> set[str]:
    return {hit.message_key for hit in store.by_subscriber(number)}


def test_a_receipt_only_message_is_found_by_its_number(store: PostbackStore) -> None:
    save_seed(store, seed("001_mms_mt_n102_binary.xml"))  # the send report never came
    assert messages_of(store, "16501112222") == {TRACKING}


@pytest.mark.parametrize(
    ("stored", "asked"), [("+1 650-111-2222", "16501112222"), ("16501112222", "+1 (650) 111-2222")]
)
def test_a_number_is_found_whatever_its_spelling(store: PostbackStore, stored: str, asked: str) -> None:
    save_seed(store, spelled(seed("001_mms_mt_n101_binary.xml"), stored))
    assert messages_of(store, asked) == {TRACKING}
    assert messages_of(store, "16501112223") == set()


def test_text_without_digits_finds_nothing(store: PostbackStore) -> None:
    save_seed(store, seed("001_mms_mt_n101_binary.xml"))
    assert messages_of(store, "no digits") == set()


def test_a_receipt_whose_send_report_exists_costs_one_write_unit_and_one_read(
    store: PostbackStore, requests: list[tuple[str, dict[str, Any]]]
) -> None:
    save_seed(store, seed("001_mms_mt_n101_binary.xml"))
    requests.clear()
    save_seed(store, seed("001_mms_mt_n102_binary.xml"))

    assert [name for name, _ in requests] == ["Query", "PutItem"]
    query, put = json.loads(requests[0][1]), json.loads(requests[1][1])
    assert (query["Limit"], query["ProjectionExpression"]) == (1, "subscriber")
    assert "subscriber" not in put["Item"]  # no index write
    assert write_units(item_size(put["Item"])) == 1  # binary counted as its base64 text: an upper bound
    assert messages_of(store, "16501112222") == {TRACKING}
    message = store.get_message(TRACKING)
    assert message is not None
    assert message.status == "delivered"


def test_a_receipt_alone_is_written_with_its_index_key(
    store: PostbackStore, requests: list[tuple[str, dict[str, Any]]]
) -> None:
    save_seed(store, seed("001_mms_mt_n102_binary.xml"))
    assert [name for name, _ in requests] == ["Query", "PutItem"]
    assert json.loads(requests[1][1])["Item"]["subscriber"] == {"S": "16501112222"}


def test_a_send_report_costs_no_read(store: PostbackStore, requests: list[tuple[str, dict[str, Any]]]) -> None:
    save_seed(store, seed("001_mms_mt_n101_binary.xml"))
    assert [name for name, _ in requests] == ["PutItem"]


def test_list_number_accepts_any_spelling(stack: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    save_seed(PostbackStore(stack.table_name), spelled(seed("001_mms_mt_n102_binary.xml"), "+1 650-111-2222"))
    assert cli.main(["--table", stack.table_name, "list", "--number", "1 (650) 111 2222", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["message_key"] == TRACKING


@pytest.mark.parametrize(("sent", "asked"), [("+1 650-555-0142", "16505550142"), ("16505550142", "+1 650-555-0142")])
def test_tail_compares_numbers_with_the_index_rule(sent: str, asked: str) -> None:
    event = {"detail": {"postback": {"to": sent}}}
    assert tail.wanted(event, None, asked)
    assert not tail.wanted(event, None, "16505550143")
    assert not tail.wanted(event, None, "no digits")
    assert keys.number_key(sent) == keys.number_key(asked) == "16505550142"
