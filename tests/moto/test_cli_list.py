"""`postbacks show` (timeline, media, raw bytes) and `list` (by number, failures by window) on moto."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from postbacks.storage.store import PostbackStore
from postbacks_cli import cli, listing
from postbacks_cli.local_stacks import StackResources
from postbacks_cli.output import Exit, Progress
from tests.helpers import save_seed, seed

MMS_MO = (
    b"<POSTBACK><NOTIFICATION><ORIGIN>MMS_MO</ORIGIN><CODE>N401</CODE><FROM>13217949521</FROM><TO>74700</TO>"
    b"<TRACKINGID>MMS_MO_cli1</TRACKINGID><TIMESTAMP>2014-02-03T11:19:49-05:00</TIMESTAMP><CONTENT>"
    b"<FILE>https://media.example.com/a.jpg</FILE><FILE>https://media.example.com/b.mp4</FILE>"
    b"</CONTENT></NOTIFICATION></POSTBACK>"
)


def run(stack: StackResources, *arguments: str) -> int:
    return cli.main(["--table", stack.table_name, *arguments])


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


# --- show ----------------------------------------------------------------------------------------------


@pytest.fixture
def with_media(stack: StackResources) -> StackResources:
    store = PostbackStore(stack.table_name)
    save_seed(store, MMS_MO)
    (event,) = (store.get_message("MMS_MO_cli1") or pytest.fail("not stored")).events
    uri = f"s3://{stack.bucket_name}/media/MMS_MO_cli1/{event.event_id}/000"
    archived = {"state": "archived", "url": "https://media.example.com/a.jpg", "s3_uri": uri, "size": 2048}
    store.record_media("MMS_MO_cli1", event.event_id, 0, archived | {"content_type": "image/jpeg", "sha256": "ab" * 32})
    return stack


def test_show_lists_archived_media_with_its_s3_uri_and_the_file_not_yet_fetched(
    with_media: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(with_media, "show", "MMS_MO_cli1") == 0

    out = capsys.readouterr().out
    assert f"s3://{with_media.bucket_name}/media/MMS_MO_cli1/" in out
    assert "image/jpeg" in out
    assert "2.0 KiB" in out
    (pending,) = [line for line in out.splitlines() if "b.mp4" in line]
    assert "pending" in pending


def test_show_json_gives_each_file_with_its_postbacks_event_id(
    with_media: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(with_media, "show", "MMS_MO_cli1", "--json") == 0

    document = json.loads(capsys.readouterr().out)
    assert [item["state"] for item in document["media"]] == ["archived", "pending"]
    (event,) = document["events"]
    assert {item["event_id"] for item in document["media"]} == {event["event_id"]}
    assert document["media"][0]["s3_uri"].endswith("/000")


def test_show_raw_prints_the_bytes_exactly(stack: StackResources, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    save_seed(PostbackStore(stack.table_name), MMS_MO)

    assert run(stack, "show", "MMS_MO_cli1", "--raw") == 0

    assert capsysbinary.readouterr().out == MMS_MO


def test_show_raw_of_several_postbacks_asks_which(filled: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(filled, "show", "TU1TXzU5Nzg3OQ==", "--raw") == Exit.USAGE

    assert "--event" in capsys.readouterr().err


def test_show_prints_the_timeline_as_a_table(filled: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(filled, "show", "TU1TXzU5Nzg3OQ==") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "TU1TXzU5Nzg3OQ==: delivered (N102)"
    assert lines[2].split()[:3] == ["EVENT", "AT", "CODE"]
    assert [line.split()[1] for line in lines[3:5]] == ["N101", "N102"]


# --- list ----------------------------------------------------------------------------------------------


@pytest.fixture
def failures(filled: StackResources) -> StackResources:
    store = PostbackStore(filled.table_name)
    for name in ("002_mms_mt_e102.xml", "001_mms_mt_e101.xml"):
        save_seed(store, seed(name), received_at="2026-11-22T09:00:00.000Z")
    return filled


def test_status_that_is_no_failure_needs_a_number(filled: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(filled, "list", "--status", "delivered") == Exit.USAGE

    err = capsys.readouterr().err
    assert "no index" in err
    assert "--number" in err


def test_failures_in_a_window_come_from_the_failures_index(
    failures: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    window = ("--since", "2026-11-22", "--until", "2026-11-22")
    assert run(failures, "list", "--status", "rejected", *window, "--json") == 0
    assert [line["code"] for line in json_lines(capsys.readouterr().out)] == ["E102"]

    assert run(failures, "list", "--code", "e101", *window, "--json") == 0
    assert [line["message_key"] for line in json_lines(capsys.readouterr().out)] == ["TU1TXzU5Nzg3Nw=="]


def test_a_code_that_never_fails_is_not_listed_by_time(
    filled: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(filled, "list", "--code", "N101") == Exit.USAGE

    assert "not a failure code" in capsys.readouterr().err


# A second MMS to the same number, a day later, only sent so far.
SECOND = "U0VDT05EXzE="


@pytest.fixture
def numbered(filled: StackResources) -> StackResources:
    later = (
        seed("001_mms_mt_n101_binary.xml")
        .replace(b"TU1TXzU5Nzg3OQ==", SECOND.encode())
        .replace(b"2012-06-07T07:27:29-05:00", b"2012-06-08T07:00:00-05:00")
    )
    save_seed(PostbackStore(filled.table_name), later)
    return filled


def test_a_number_lists_its_messages_with_their_status_now(
    numbered: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(numbered, "list", "--number", "16501112222", "--json") == 0

    lines = json_lines(capsys.readouterr().out)
    # Newest first; the delivery receipt is in no index, its message shows up through its send report.
    assert [(line["message_key"], line["code"]) for line in lines] == [(SECOND, "N101"), ("TU1TXzU5Nzg3OQ==", "N101")]
    assert [(line["message_status"], line["message_code"]) for line in lines] == [
        ("sent", "N101"),
        ("delivered", "N102"),
    ]


def test_status_filters_a_number_query_by_each_messages_status_now(
    numbered: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(numbered, "list", "--number", "16501112222", "--status", "delivered", "--json") == 0
    assert [line["message_key"] for line in json_lines(capsys.readouterr().out)] == ["TU1TXzU5Nzg3OQ=="]

    assert run(numbered, "list", "--number", "16501112222", "--status", "sent", "--json") == 0
    assert [line["message_key"] for line in json_lines(capsys.readouterr().out)] == [SECOND]

    assert run(numbered, "list", "--number", "16501112222", "--code", "N102", "--json") == 0
    assert [line["message_key"] for line in json_lines(capsys.readouterr().out)] == ["TU1TXzU5Nzg3OQ=="]


def test_since_and_until_bound_the_index_sort_key(numbered: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(numbered, "list", "--number", "16501112222", "--since", "2012-06-07T13:00:00Z", "--json") == 0
    assert [line["message_key"] for line in json_lines(capsys.readouterr().out)] == [SECOND]

    assert run(numbered, "list", "--number", "16501112222", "--until", "2012-06-07T13:00:00Z", "--json") == 0
    assert [line["message_key"] for line in json_lines(capsys.readouterr().out)] == ["TU1TXzU5Nzg3OQ=="]


def test_a_bare_until_date_includes_that_whole_day(
    numbered: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    window = ("--since", "2012-06-08", "--until", "2012-06-08")
    assert run(numbered, "list", "--number", "16501112222", *window, "--json") == 0

    assert [line["message_key"] for line in json_lines(capsys.readouterr().out)] == [SECOND]


def test_relative_since_leaves_out_older_events(filled: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(filled, "list", "--number", "16501112222", "--since", "24h", "--json") == 0

    assert capsys.readouterr().out == ""


def test_full_reads_the_whole_postback(numbered: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(numbered, "list", "--number", "16501112222", "--limit", "1", "--full", "--json") == 0

    (line,) = json_lines(capsys.readouterr().out)
    wanted = (SECOND, "N101", "39597", "0001570")
    assert (line["message_key"], line["code"], line["mms_id"], line["operator_id"]) == wanted


def test_failures_say_whether_their_message_was_delivered_after_all(
    failures: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    store = PostbackStore(failures.table_name)
    late_receipt = (
        seed("001_mms_mt_n102_binary.xml")
        .replace(b"TU1TXzU5Nzg3OQ==", b"TU1TXzU5Nzg3Nw==")
        .replace(b"2012-06-07T07:27:34-05:00", b"2030-01-01T00:00:00Z")
    )
    save_seed(store, late_receipt)

    assert run(failures, "list", "--code", "E101", "--since", "2026-11-22", "--until", "2026-11-22") == 0

    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:6] == ["EVENT", "AT", "MESSAGE", "CODE", "STATUS", "NOW"]
    assert row.split()[2:5] == ["E101", "failed", "delivered"]


def test_list_prints_a_table_with_a_header(filled: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(filled, "list", "--number", "16311112222") == 0

    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:3] == ["EVENT", "AT", "MESSAGE"]
    assert "N211" in row
    assert "received" in row


def test_a_bad_time_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["list", "--number", "1", "--since", "yesterday"])

    assert exit_info.value.code == 2
    assert "24h, 7d" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_each_page_the_paginator_fetches_advances_the_progress(filled: StackResources) -> None:
    store = PostbackStore(filled.table_name)
    progress = Progress("reading pages", stream=_Terminal())

    with listing._count_pages(store, progress):
        list(store.by_subscriber("16501112222"))
    list(store.by_subscriber("16501112222"))  # after the block: no longer counted

    assert progress.done == 1
