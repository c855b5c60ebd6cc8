"""`postbacks show` / `list` against the local stack's resources, found through AWS_ENDPOINT_URL alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postbacks.storage.store import PostbackStore
from postbacks_cli import cli
from postbacks_cli.local_stacks import StackResources
from postbacks_cli.output import Exit
from tests.helpers import save_seed, seed


def test_show_json_gives_status_and_events_oldest_first(
    filled: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--table", filled.table_name, "show", "TU1TXzU5Nzg3OQ==", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["message_key"], document["tracking_id"]) == ("TU1TXzU5Nzg3OQ==", "TU1TXzU5Nzg3OQ==")
    assert document["status"] == "delivered"
    assert [event["code"] for event in document["events"]] == ["N101", "N102"]
    assert document["events"][1]["timestamp"] == "2012-06-07T12:27:34.000000Z"
    assert "raw" not in document["events"][1]
    assert document["media"] == []


def test_show_unknown_tracking_id_exits_3(filled: StackResources) -> None:
    assert cli.main(["--table", filled.table_name, "show", "nope"]) == Exit.NOT_FOUND


def test_list_by_number_gives_json_lines_with_message_keys(
    filled: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--table", filled.table_name, "list", "--number", "16501112222", "--json"]) == 0
    (line,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (line["message_key"], line["code"], line["message_status"]) == ("TU1TXzU5Nzg3OQ==", "N101", "delivered")


def test_list_by_number_finds_an_sms_mo_by_its_sender(
    filled: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--table", filled.table_name, "list", "--number", "16311112222", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["message_key"].startswith("~pb:")


def test_local_stack_is_found_from_the_endpoint_alone(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from postbacks_cli.local_stacks import LOCAL_STACK_NAME
    from postbacks_local.stack_resources import create_stack_resources

    monkeypatch.delenv("TABLE_NAME", raising=False)
    try:
        from postbacks_cli.local_stacks import find_stack_resources

        local = find_stack_resources()
    except Exception:
        local = create_stack_resources(Path(cli.__file__).resolve().parents[2] / "template.yaml", LOCAL_STACK_NAME, "x")
    save_seed(PostbackStore(local.table_name), seed("000_sms_mt_n201.xml"))
    assert cli.main(["show", "U01TXzgwNjc4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "sent"


def test_no_target_says_what_to_do(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("TABLE_NAME", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["show", "x"]) == Exit.USAGE
    assert "--stack" in capsys.readouterr().err


def test_local_stack_needs_no_credentials_from_the_user(
    filled: StackResources, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    assert cli.main(["--table", filled.table_name, "show", "TU1TXzU5Nzg3OQ==", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "delivered"
