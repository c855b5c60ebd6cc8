"""The ingest function end to end: API Gateway event in, answer out, DynamoDB / S3 / SQS over moto's HTTP."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest

from postbacks.storage.store import PostbackStore
from postbacks_cli.local_stacks import StackResources
from postbacks_local.sample_events import api_event
from tests.helpers import SECRET, SEEDS, Invoke, is_well_formed, kept_keys, post, reset_cached_settings, stored_events

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
WELL_FORMED_EVENTS = sorted(path for path in EVENTS.glob("*.json") if is_well_formed(path.name))
BROKEN_EVENTS = sorted(set(EVENTS.glob("*.json")) - set(WELL_FORMED_EVENTS))


def sample(path: Path, secret: str = SECRET) -> dict[str, Any]:
    event = json.loads(path.read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/postbacks/{secret}"
    event["pathParameters"] = {"secret": secret}
    return event


def queued(stack: StackResources) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    bodies: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return bodies
        bodies.extend(json.loads(message["Body"]) for message in batch)


@pytest.mark.parametrize("path", WELL_FORMED_EVENTS, ids=lambda path: path.stem)
def test_every_well_formed_seed_is_stored_with_200(ingest: Invoke, stack: StackResources, path: Path) -> None:
    answer = ingest(sample(path))
    assert answer["statusCode"] == 200, answer["body"]
    body = json.loads(answer["body"])
    (key,) = body["tracking_ids"]
    message = PostbackStore(stack.table_name).get_message(key)
    assert message is not None
    assert len(message.events) == 1


@pytest.mark.parametrize("path", BROKEN_EVENTS, ids=lambda path: path.stem)
def test_every_broken_seed_is_refused_and_quarantined(ingest: Invoke, stack: StackResources, path: Path) -> None:
    answer = ingest(sample(path))
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["error"] == "malformed_xml"
    (key,) = kept_keys(stack, "quarantine/")
    kept = boto3.client("s3").get_object(Bucket=stack.bucket_name, Key=key)
    assert kept["Body"].read() == json.loads(path.read_text())["body"].encode()
    assert kept["Metadata"]["reason"] == "malformed_xml"


def test_wrong_secret_is_403_and_stores_nothing(ingest: Invoke, stack: StackResources) -> None:
    status, body = post(ingest, (SEEDS / "001_sms_mt_n202.xml").read_bytes(), secret="guess")
    assert (status, body["error"]) == (403, "forbidden")
    assert boto3.client("dynamodb").scan(TableName=stack.table_name)["Count"] == 0
    assert kept_keys(stack, "quarantine/") == []


def test_previous_secret_is_accepted_during_rotation(ingest: Invoke) -> None:
    status, _ = post(ingest, (SEEDS / "001_sms_mt_n202.xml").read_bytes(), secret="s3cr3t-previous")
    assert status == 200


def test_redelivery_answers_200_and_adds_nothing(ingest: Invoke, stack: StackResources) -> None:
    raw = (SEEDS / "001_mms_mt_n102_binary.xml").read_bytes()
    answers = [post(ingest, raw) for _ in range(5)]
    assert [status for status, _ in answers] == [200] * 5
    assert [body["duplicates"] for _, body in answers] == [0, 1, 1, 1, 1]
    message = PostbackStore(stack.table_name).get_message("TU1TXzU5Nzg3OQ==")
    assert message is not None
    assert len(message.events) == 1


PLUS_SLASH = b"<POSTBACK><ORIGIN>SMS_MT</ORIGIN><CODE>N202</CODE><TRACKINGID>a+b/c==</TRACKINGID></POSTBACK>"


def test_encoded_form_field_keeps_plus_and_slash_in_tracking_id(ingest: Invoke) -> None:
    body = b"xml=" + quote_plus(PLUS_SLASH.decode()).encode()
    status, answer = post(ingest, body, "application/x-www-form-urlencoded")
    assert (status, answer["tracking_ids"]) == (200, ["a+b/c=="])


def test_unencoded_form_field_keeps_plus_in_tracking_id(ingest: Invoke) -> None:
    status, answer = post(ingest, b"XML=" + PLUS_SLASH, "application/x-www-form-urlencoded")
    assert (status, answer["tracking_ids"]) == (200, ["a+b/c=="])


def test_raw_xml_with_wrong_or_missing_content_type_is_accepted(ingest: Invoke) -> None:
    raw = (SEEDS / "002_mms_mt_n101_binary.xml").read_bytes()
    assert post(ingest, raw, None)[0] == 200
    assert post(ingest, raw, "application/x-www-form-urlencoded")[0] == 200
    assert post(ingest, raw, "application/json")[0] == 200


def test_base64_encoded_body_is_decoded(ingest: Invoke) -> None:
    event = api_event(b"", secret=SECRET)
    event["body"] = base64.b64encode((SEEDS / "000_sms_mt_n201.xml").read_bytes()).decode()
    event["isBase64Encoded"] = True
    answer = ingest(event)
    assert (answer["statusCode"], json.loads(answer["body"])["tracking_ids"]) == (200, ["U01TXzgwNjc4"])


@pytest.mark.parametrize(
    ("body", "content_type", "status", "error"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x "y">]><POSTBACK><CODE>&x;</CODE></POSTBACK>',
            None,
            400,
            "doctype_forbidden",
        ),
        (b"<POSTBACK><CODE>N201</CODE>", None, 400, "malformed_xml"),
        (b"<html><body>hi</body></html>", None, 422, "wrong_root"),
        (b"<POSTBACK><ORIGIN>SMS_MT</ORIGIN></POSTBACK>", None, 422, "missing_code"),
        (b"<POSTBACK><CODE>N201\xff</CODE></POSTBACK>", None, 400, "bad_encoding"),
        (b"[1, 2]", "application/json", 422, "json_not_object"),
        (b"null", "application/json", 422, "json_not_object"),
        (b'{"code": ', "application/json", 400, "malformed_json"),
    ],
)
def test_bad_input_gets_a_machine_readable_4xx_and_is_quarantined(
    ingest: Invoke, stack: StackResources, body: bytes, content_type: str | None, status: int, error: str
) -> None:
    answer_status, answer = post(ingest, body, content_type)
    assert (answer_status, answer["error"]) == (status, error)
    assert answer["detail"]
    assert [key.split("/")[1] for key in kept_keys(stack, "quarantine/")] == [error]


def test_body_over_the_cap_is_413_without_parsing(ingest: Invoke) -> None:
    status, body = post(ingest, b"<POSTBACK>" + b" " * 600_000 + b"</POSTBACK>")
    assert (status, body["error"]) == (413, "body_too_large")


def test_empty_body_is_400(ingest: Invoke) -> None:
    assert post(ingest, b"")[0] == 400


def test_unknown_code_is_stored_as_unrecognised(ingest: Invoke, stack: StackResources) -> None:
    raw = (
        b"<POSTBACK><ORIGIN>SUBSCRIPTION</ORIGIN><CODE>N399</CODE>"
        b"<TRACKINGID>sub-1</TRACKINGID><LIST>7</LIST></POSTBACK>"
    )
    assert post(ingest, raw)[0] == 200
    message = PostbackStore(stack.table_name).get_message("sub-1")
    assert message is not None
    assert message.status == "unrecognised"
    assert message.events[0].fields["extra"] == {"LIST": "7"}


def test_storage_down_is_503_and_the_body_is_kept(ingest: Invoke, stack: StackResources) -> None:
    boto3.client("dynamodb").delete_table(TableName=stack.table_name)
    raw = (SEEDS / "001_sms_mt_n202.xml").read_bytes()
    status, body = post(ingest, raw)
    assert (status, body["error"]) == (503, "storage_unavailable")
    (key,) = kept_keys(stack, "unstored/")
    assert boto3.client("s3").get_object(Bucket=stack.bucket_name, Key=key)["Body"].read() == raw


def test_bundle_is_queued_as_one_job_carrying_its_body(ingest: Invoke, stack: StackResources) -> None:
    items = "".join(
        f'<NOTIFICATION id="{n}" created="2011-09-28 17:31:02.835577-04"><ORIGIN>SMS_MO</ORIGIN><CODE>N211</CODE>'
        f"<BODY><FROM>1555231210{n}</FROM><TO>86717</TO><KEYWORD>STOP</KEYWORD>"
        "<RECEIVED>2011-09-28 17:31:02.278751-04</RECEIVED></BODY></NOTIFICATION>"
        for n in range(3)
    )
    posted = f"<POSTBACK>{items}</POSTBACK>".encode()
    status, body = post(ingest, posted)
    assert (status, body["queued"]) == (200, 3)
    (job,) = queued(stack)
    assert (job["job"], base64.urlsafe_b64decode(job["body"]), job["start"], job["stop"]) == ("bundle", posted, 0, 3)


def test_mms_mo_is_stored_and_one_media_job_queued_for_its_files(ingest: Invoke, stack: StackResources) -> None:
    status, body = post(ingest, (SEEDS / "004_mms_mo_n401.xml").read_bytes())
    assert (status, body["tracking_ids"]) == (200, ["MMS_MO_iLnCRrL6"])
    (job,) = queued(stack)
    assert (job["job"], job["start"], len(job["urls"])) == ("media", 0, 3)


def test_unknown_route_is_404(ingest: Invoke) -> None:
    answer = ingest(api_event(b"<POSTBACK/>", path="/other"))
    assert answer["statusCode"] == 404


def emitted_metrics(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def test_metrics_count_accepted_by_code_and_rejected_by_reason(
    ingest: Invoke, capsys: pytest.CaptureFixture[str]
) -> None:
    post(ingest, (SEEDS / "001_mms_mt_n102_binary.xml").read_bytes())
    post(ingest, b"<POSTBACK><CODE>N201</CODE>")
    blobs = emitted_metrics(capsys.readouterr().out)
    # One EMF document per invocation; a breakdown is a second dimension set of that same document.
    accepted, rejected = blobs
    assert accepted["PostbacksReceived"] == [1.0]
    assert (accepted["code"], accepted["_aws"]["CloudWatchMetrics"][0]["Dimensions"]) == (
        "N102",
        [["service"], ["code"]],
    )
    assert rejected["PostbacksRejected"] == [1.0]
    assert (rejected["reason"], rejected["_aws"]["CloudWatchMetrics"][0]["Dimensions"]) == (
        "malformed_xml",
        [["service"], ["reason"]],
    )


# --- allowed source addresses ---------------------------------------------------------------------


def test_a_source_outside_the_allowed_cidrs_is_403_and_nothing_is_kept(
    ingest: Invoke, stack: StackResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOWED_SOURCE_CIDRS", "192.0.2.0/24, 2001:db8::/32")
    reset_cached_settings()
    body = (SEEDS / "000_sms_mt_n201.xml").read_bytes()

    refused = ingest(api_event(body, secret=SECRET, source_ip="198.51.100.7"))
    assert (refused["statusCode"], json.loads(refused["body"])["error"]) == (403, "forbidden_source")
    assert (stored_events(stack), kept_keys(stack, "")) == ([], [])

    allowed = ingest(api_event(body, secret=SECRET, source_ip="192.0.2.44"))
    assert allowed["statusCode"] == 200
    assert len(stored_events(stack)) == 1


def test_a_source_check_comes_before_the_secret_so_a_stranger_learns_nothing(
    ingest: Invoke, stack: StackResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOWED_SOURCE_CIDRS", "192.0.2.0/24")
    reset_cached_settings()

    answer = ingest(api_event(b"<POSTBACK/>", secret="wrong", source_ip="198.51.100.7"))

    assert json.loads(answer["body"])["error"] == "forbidden_source"
