"""`postbacks rejected` and `replay`: kept bodies listed, run again through the ingest path, idempotently."""

from __future__ import annotations

import json

import boto3
import pytest

from postbacks.storage.store import PostbackStore
from postbacks_cli import cli
from postbacks_cli.local_stacks import StackResources
from postbacks_cli.output import Exit
from postbacks_local.sample_events import api_event
from tests.helpers import SECRET, SEEDS, Invoke, kept_keys

FIXED = "quarantine/unparseable/2026/11/20/req-fixed"  # refused by an older parser, fine for this one
BROKEN = (SEEDS / "001_sms_mt_n201_broken_from_mask.xml").read_bytes()


def keep(stack: StackResources, key: str, body: bytes, reason: str = "unparseable") -> None:
    """A body as the ingest function keeps it: raw bytes, the reason and the request's content type."""
    boto3.client("s3").put_object(
        Bucket=stack.bucket_name,
        Key=key,
        Body=body,
        Metadata={
            "reason": reason,
            "detail": "The body could not be parsed (KeyError).",
            "content-type": "text/xml",
            "received-at": "2026-11-20T10:00:00.000Z",
        },
    )


def all_kept(stack: StackResources) -> list[str]:
    return sorted(kept_keys(stack, "quarantine/") + kept_keys(stack, "unstored/"))


@pytest.fixture
def kept(ingest: Invoke, stack: StackResources) -> StackResources:
    answer = ingest(api_event(BROKEN, secret=SECRET))
    assert answer["statusCode"] == 400
    keep(stack, FIXED, (SEEDS / "000_sms_mt_n202.xml").read_bytes())
    return stack


def run(*arguments: str) -> int:
    # The stack fixture names the table, bucket and queue in the environment, as the functions see them.
    return cli.main(list(arguments))


def events_of(stack: StackResources, key: str) -> int:
    message = PostbackStore(stack.table_name).get_message(key)
    return 0 if message is None else len(message.events)


# --- rejected ------------------------------------------------------------------------------------------


def test_rejected_lists_each_body_with_reason_size_and_time(
    kept: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("rejected", "--json") == 0

    lines = {line["reason"]: line for line in map(json.loads, capsys.readouterr().out.splitlines())}
    assert set(lines) == {"malformed_xml", "unparseable"}
    assert lines["malformed_xml"]["size"] == len(BROKEN)
    assert lines["malformed_xml"]["key"].startswith("quarantine/malformed_xml/")
    assert lines["unparseable"]["uri"] == f"s3://{kept.bucket_name}/{FIXED}"
    assert str(lines["unparseable"]["stored_at"]).endswith("Z")


def test_rejected_by_reason_with_the_recorded_detail(kept: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("rejected", "--reason", "malformed_xml", "--detail") == 0

    header, row = capsys.readouterr().out.splitlines()
    assert header.split() == ["STORED", "AT", "REASON", "SIZE", "KEY", "DETAIL"]
    assert "malformed_xml" in row
    assert "not well-formed XML" in row


# --- replay --------------------------------------------------------------------------------------------


def test_replay_stores_what_now_parses_and_removes_its_kept_copy(
    kept: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("replay", "--reason", "unparseable") == 0

    assert "stored U01TXzgwNjc4 (N202)" in capsys.readouterr().out
    assert events_of(kept, "U01TXzgwNjc4") == 1
    assert FIXED not in all_kept(kept)


def test_a_body_still_refused_stays_and_its_reason_is_printed(
    kept: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    before = all_kept(kept)

    assert run("replay", "--all") == Exit.FAILED

    out = capsys.readouterr().out
    assert "still rejected" in out
    assert "malformed_xml: The body is not well-formed XML" in out
    # The refused body stays where it was; the replay keeps no second copy of it.
    assert all_kept(kept) == [key for key in before if key != FIXED]


def test_replaying_the_same_postback_twice_adds_nothing(
    kept: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("replay", FIXED) == 0
    keep(kept, FIXED, (SEEDS / "000_sms_mt_n202.xml").read_bytes())  # kept again, e.g. by a retried request

    assert run("replay", f"s3://{kept.bucket_name}/{FIXED}", "--json") == 0

    second = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert second["result"] == "replayed"
    assert second["stored"] == [{"message_key": "U01TXzgwNjc4", "code": "N202", "new": False}]
    assert events_of(kept, "U01TXzgwNjc4") == 1


def test_a_body_kept_while_storage_was_down_is_replayed(
    stack: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    keep(stack, "unstored/2026/11/21/req-down", (SEEDS / "000_sms_mt_n201.xml").read_bytes(), "storage_unavailable")

    assert run("replay", "--reason", "storage_unavailable") == 0

    assert events_of(stack, "U01TXzgwNjc4") == 1
    assert all_kept(stack) == []


def test_a_replayed_bundle_is_queued_for_the_worker(stack: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = b"".join(
        b"<NOTIFICATION><ORIGIN>SMS_MO</ORIGIN><CODE>N211</CODE><BODY><FROM>1555000000%d</FROM><TO>86717</TO>"
        b"<KEYWORD>STOP</KEYWORD></BODY></NOTIFICATION>" % n
        for n in range(3)
    )
    keep(stack, "quarantine/unparseable/2026/11/21/req-bundle", b"<POSTBACK>" + bundle + b"</POSTBACK>")

    assert run("replay", "--all") == 0

    assert "queued 3 bundle item(s)" in capsys.readouterr().out
    queued = boto3.client("sqs").receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10)["Messages"]
    assert {json.loads(message["Body"])["job"] for message in queued} == {"bundle"}


def test_an_unknown_key_exits_3(stack: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("replay", "quarantine/malformed_xml/2026/11/22/nope") == Exit.NOT_FOUND

    assert "not found" in capsys.readouterr().out


def test_replay_refuses_keys_outside_the_kept_prefixes(stack: StackResources) -> None:
    assert run("replay", "media/MMS_MO_cli1/000") == Exit.NOT_FOUND


def test_replay_needs_keys_a_reason_or_all(stack: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("replay") == Exit.USAGE

    assert "--reason" in capsys.readouterr().err


def test_nothing_kept_means_nothing_to_replay(stack: StackResources, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("replay", "--all") == 0

    assert "nothing to replay" in capsys.readouterr().out


def test_replay_keeps_the_time_the_sender_first_posted(kept: StackResources) -> None:
    assert run("replay", FIXED) == 0
    message = PostbackStore(kept.table_name).get_message("U01TXzgwNjc4")
    assert message is not None
    assert [event.received_at for event in message.events] == ["2026-11-20T10:00:00.000Z"]
