"""The events pipe, end to end on moto: stream -> filter -> enrichment -> bus -> tap queue."""

from __future__ import annotations

import hashlib
import json

import boto3

from postbacks_cli.local_stacks import StackResources
from tests import helpers
from tests.helpers import Invoke, drain, seed
from tests.moto.conftest import Tap
from tests.moto.media_server import SMALL_BODY, MediaServer
from tests.moto.test_worker import mms_mo


def post(ingest: Invoke, name: str) -> None:
    status, answer = helpers.post(ingest, seed(name))
    assert status == 200, answer


def test_new_postback_publishes_one_postback_received(tap: Tap, ingest: Invoke, stack: StackResources) -> None:
    post(ingest, "001_mms_mt_n101_binary.xml")
    [event] = tap.published()
    assert event["source"] == f"postbacks.{stack.stack_name}"
    assert event["detail-type"] == "Postback Received"
    detail = event["detail"]
    assert detail["message_key"] == "TU1TXzU5Nzg3OQ=="
    assert detail["postback"]["code"] == "N101"
    assert detail["postback"]["to"] == "16501112222"
    assert detail["message"] == {
        "status": "sent",
        "status_code": "N101",
        "final": False,
        "decided_by": detail["event_id"],
    }


def test_detail_never_carries_the_raw_body(tap: Tap, ingest: Invoke) -> None:
    post(ingest, "001_mms_mt_n101_binary.xml")
    [event] = tap.published()
    assert "raw" not in event["detail"]["postback"]
    assert "<POSTBACK>" not in json.dumps(event)


def test_duplicate_publishes_nothing(tap: Tap, ingest: Invoke) -> None:
    post(ingest, "001_mms_mt_n101_binary.xml")
    assert len(tap.published()) == 1
    post(ingest, "001_mms_mt_n101_binary.xml")
    assert tap.published() == []


def test_outcome_after_sent_gives_the_final_status(tap: Tap, ingest: Invoke) -> None:
    post(ingest, "001_mms_mt_n101_binary.xml")
    tap.published()
    post(ingest, "001_mms_mt_n102_binary.xml")
    [event] = tap.published()
    assert event["detail"]["postback"]["code"] == "N102"
    assert event["detail"]["message"]["status"] == "delivered"
    assert event["detail"]["message"]["final"] is True


def test_late_sent_reports_the_status_it_did_not_change(tap: Tap, ingest: Invoke) -> None:
    post(ingest, "001_mms_mt_n102_binary.xml")
    [delivered] = tap.published()
    post(ingest, "001_mms_mt_n101_binary.xml")
    [late] = tap.published()
    assert late["detail"]["postback"]["code"] == "N101"
    assert late["detail"]["message"]["status"] == "delivered"
    assert late["detail"]["message"]["decided_by"] == delivered["detail"]["event_id"]


def test_bad_input_is_never_published(tap: Tap, ingest: Invoke) -> None:
    status, _ = helpers.post(ingest, b"<POSTBACK><CODE>N101</CODE")
    assert 400 <= status < 500
    status, _ = helpers.post(ingest, seed("001_mms_mt_n101_binary.xml"), secret="wrong")
    assert status != 200
    assert tap.published() == []


def test_one_archived_file_gives_one_media_archived(
    tap: Tap, ingest: Invoke, worker: Invoke, stack: StackResources, media: MediaServer
) -> None:
    status, answer = helpers.post(ingest, mms_mo([media.url("/small.gif")]))
    assert status == 200, answer
    assert drain(stack, worker) == []
    published = tap.published()
    assert [event["detail-type"] for event in published] == ["Postback Received", "Media Archived"]
    detail = published[1]["detail"]
    assert detail["message_key"] == "MMS_MO_test1"
    assert detail["event_id"] == published[0]["detail"]["event_id"]
    assert detail["index"] == 0
    assert detail["size"] == len(SMALL_BODY)
    assert detail["sha256"] == hashlib.sha256(SMALL_BODY).hexdigest()
    assert detail["content_type"] == "image/gif"
    bucket, key = detail["s3_uri"].removeprefix("s3://").split("/", 1)
    assert boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read() == SMALL_BODY


def test_file_that_could_not_be_archived_publishes_nothing(
    tap: Tap, ingest: Invoke, worker: Invoke, stack: StackResources, media: MediaServer
) -> None:
    status, _ = helpers.post(ingest, mms_mo([media.url("/missing.gif")]))
    assert status == 200
    drain(stack, worker)
    assert [event["detail-type"] for event in tap.published()] == ["Postback Received"]
