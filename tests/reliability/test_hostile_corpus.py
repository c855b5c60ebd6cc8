"""Hostile bodies through the real ingest function: each gets its answer, is kept or not, and nothing is fetched.

One file per case in tests/fixtures/hostile/ (`{{CANARY}}` is replaced by a local server that counts requests);
bodies too big to commit are built here.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from postbacks.domain import parsing
from postbacks.service import settings
from postbacks_cli.local_stacks import StackResources
from postbacks_local.sample_events import api_event
from tests.helpers import HOSTILE, SECRET, Invoke, kept_keys, post, stored_events
from tests.moto.media_server import RecordingServer

XML = "text/xml"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Case:
    file: str
    content_type: str | None
    status: int
    error: str | None  # None: accepted
    kept: bool = False  # the raw body is kept under quarantine/<error>/
    stored: dict[str, Any] = field(default_factory=dict)  # for accepted bodies: fields of the one stored event


REFUSED_DOCTYPE = [
    Case("xxe_external_entity_file.xml", XML, 400, "doctype_forbidden", kept=True),
    Case("xxe_external_entity_http.xml", XML, 400, "doctype_forbidden", kept=True),
    Case("xxe_parameter_entity.xml", XML, 400, "doctype_forbidden", kept=True),
    Case("xxe_external_dtd.xml", XML, 400, "doctype_forbidden", kept=True),
    Case("billion_laughs.xml", XML, 400, "doctype_forbidden", kept=True),
    Case("quadratic_blowup.xml", XML, 400, "doctype_forbidden", kept=True),
]
REFUSED = [
    Case("bad_utf8.xml", XML, 400, "bad_encoding", kept=True),
    Case("unknown_encoding.xml", XML, 400, "bad_encoding", kept=True),
    Case("multibyte_encoding.xml", XML, 400, "bad_encoding", kept=True),
    Case("nul_byte.xml", XML, 400, "malformed_xml", kept=True),
    Case("undefined_entity.xml", XML, 400, "malformed_xml", kept=True),
    Case("wrong_root.xml", XML, 422, "wrong_root", kept=True),
    Case("json_array.json", JSON, 422, "json_not_object", kept=True),
    Case("json_number.json", JSON, 422, "json_not_object", kept=True),
    Case("json_null.json", JSON, 422, "json_not_object", kept=True),
    Case("json_string.json", JSON, 422, "json_not_object", kept=True),
    # Nothing to keep: there is no body.
    Case("empty.txt", XML, 400, "empty_body"),
    Case("blank.txt", XML, 400, "empty_body"),
]
ACCEPTED = [
    # A valid postback in UTF-16 with a BOM: API Gateway hands it over base64, the parser decodes it.
    Case("utf16_with_bom.xml", XML, 200, None, stored={"tracking_id": "VVRGMTZfQk9N", "text": "Grüße ✓"}),
    # The `xml` form field holding JSON: the bytes decide, so it is read as Sinch JSON.
    Case("form_field_json.txt", FORM, 200, None, stored={"tracking_id": "form-json-1", "dialect": "sinch_json"}),
    # Processing instructions for other tools are data, never followed.
    Case("xinclude.xml", XML, 200, None, stored={"tracking_id": "xinclude"}),
    Case("schema_location.xml", XML, 200, None, stored={"tracking_id": "schema-location"}),
    # A root in any namespace is still <POSTBACK>: the tag's local name decides.
    Case("wrong_root_namespaced.xml", XML, 200, None, stored={"code": "N201", "dialect": "skycore_xml"}),
    # Elements where a value belongs are kept aside in `extra`, and the code still decides the status.
    Case("elements_in_scalar_field.xml", XML, 200, None, stored={"tracking_id": "nested-status", "status": "failed"}),
    # Blank index keys are left out (an empty string as a GSI key makes DynamoDB refuse the write).
    Case("json_blank_index_keys.json", JSON, 200, None, stored={"tracking_id": "blank-to", "to": None, "from": None}),
]
# DynamoDB's own limits: a key over 1024 bytes is kept in extra, not made a key; an unreadable time is kept as sent.
AT_THE_LIMITS = [
    Case("timestamp_out_of_range.xml", XML, 200, None, stored={"tracking_id": "far-future", "timestamp": None}),
    Case("tracking_id_over_key_limit.xml", XML, 200, None, stored={"tracking_id": None, "code": "N201"}),
]
CASES = REFUSED_DOCTYPE + REFUSED + ACCEPTED + AT_THE_LIMITS


def hostile(name: str, canary: RecordingServer) -> bytes:
    return (HOSTILE / name).read_bytes().replace(b"{{CANARY}}", canary.address.encode())


def plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: next(iter(value.values())) for name, value in item.items()}


def assert_answer(stack: StackResources, case: Case, body: bytes, status: int, answer: dict[str, Any]) -> None:
    assert (status, answer.get("error")) == (case.status, case.error), answer
    kept = kept_keys(stack, "quarantine/")
    if case.kept:
        (key,) = kept
        assert key.split("/")[1] == case.error
        assert boto3.client("s3").get_object(Bucket=stack.bucket_name, Key=key)["Body"].read() == body
    else:
        assert kept == []
    events = [plain(item) for item in stored_events(stack)]
    if case.error is not None:
        assert events == []
        return
    (event,) = events
    for name, value in case.stored.items():
        assert event.get(name) == value, name


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.file)
def test_hostile_body_gets_its_answer_and_nothing_is_fetched(
    ingest: Invoke, stack: StackResources, canary: RecordingServer, case: Case
) -> None:
    body = hostile(case.file, canary)
    status, answer = post(ingest, body, case.content_type)
    assert_answer(stack, case, body, status, answer)
    assert canary.hits == []
    assert b"root:" not in json.dumps(answer).encode()  # /etc/passwd never reaches the answer


def test_every_corpus_file_has_an_expected_answer() -> None:
    listed = {case.file for case in CASES}
    assert {path.name for path in HOSTILE.iterdir()} == listed


# --- bodies built here ----------------------------------------------------------------------------------

POSTBACK_HEAD = b"<POSTBACK><ORIGIN>SMS_MT</ORIGIN><CODE>N201</CODE><TRACKINGID>deep</TRACKINGID>"


def raise_body_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    # The settings' ceiling (1 MiB), read afresh: the ingest fixture's module has not built its ingestor yet.
    monkeypatch.setenv("MAX_BODY_BYTES", "1048576")
    settings.clear()


def never_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: object) -> None:
        raise AssertionError("an oversized body reached the parser")

    monkeypatch.setattr(parsing, "parse", fail)


@pytest.mark.parametrize("as_base64", [False, True], ids=["text", "base64"])
def test_two_megabyte_body_is_413_before_parsing_and_not_kept(
    ingest: Invoke, stack: StackResources, monkeypatch: pytest.MonkeyPatch, as_base64: bool
) -> None:
    never_parse(monkeypatch)
    body = POSTBACK_HEAD + b"<TEXT>" + b"a" * (2 * 1024 * 1024) + b"</TEXT></POSTBACK>"
    event = api_event(body, secret=SECRET)
    if as_base64:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    answer = ingest(event)
    assert (answer["statusCode"], json.loads(answer["body"])["error"]) == (413, "body_too_large")
    assert kept_keys(stack, "quarantine/") == []


def test_100k_deep_nesting_over_the_default_cap_is_413(ingest: Invoke, stack: StackResources) -> None:
    body = POSTBACK_HEAD + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</POSTBACK>"
    status, answer = post(ingest, body)
    assert (status, answer["error"]) == (413, "body_too_large")


def test_100k_deep_nesting_is_parsed_without_recursion(
    ingest: Invoke, stack: StackResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    raise_body_cap(monkeypatch)
    body = POSTBACK_HEAD + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</POSTBACK>"
    status, answer = post(ingest, body)
    assert (status, answer["tracking_ids"]) == (200, ["deep"])
    (event,) = stored_events(stack)
    assert "extra" not in plain(event)  # empty elements carry no value; the raw body is what keeps them


def test_40k_deep_body_elements_are_flattened_one_level_only(
    ingest: Invoke, stack: StackResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    raise_body_cap(monkeypatch)
    body = POSTBACK_HEAD + b"<BODY>" * 40_000 + b"<TO>16501112222</TO>" + b"</BODY>" * 40_000 + b"</POSTBACK>"
    status, answer = post(ingest, body)
    assert (status, answer["tracking_ids"]) == (200, ["deep"])
    (event,) = stored_events(stack)
    assert "to" not in plain(event)  # only a BODY directly under the postback is flattened


def test_100k_deep_json_is_malformed_json_and_kept(ingest: Invoke, stack: StackResources) -> None:
    body = b'{"code": "N201", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    status, answer = post(ingest, body, JSON)
    assert (status, answer["error"]) == (400, "malformed_json")
    assert len(kept_keys(stack, "quarantine/malformed_json/")) == 1


def test_1001_notifications_are_413_and_nothing_is_queued(ingest: Invoke, stack: StackResources) -> None:
    item = b"<NOTIFICATION><ORIGIN>SMS_MO</ORIGIN><CODE>N211</CODE><FROM>15550000000</FROM></NOTIFICATION>"
    status, answer = post(ingest, b"<POSTBACK>" + item * 1001 + b"</POSTBACK>")
    assert (status, answer["error"]) == (413, "too_many_notifications")
    assert len(kept_keys(stack, "quarantine/too_many_notifications/")) == 1
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_lone_surrogate_in_the_event_body_is_bad_encoding(ingest: Invoke, stack: StackResources) -> None:
    event = api_event(b"", secret=SECRET)
    event["body"] = "<POSTBACK><CODE>N201</CODE><TEXT>\ud800</TEXT></POSTBACK>"  # JSON may carry "\ud800"
    answer = ingest(event)
    assert (answer["statusCode"], json.loads(answer["body"])["error"]) == (400, "bad_encoding")


def test_body_flagged_base64_that_is_not_is_bad_base64(ingest: Invoke, stack: StackResources) -> None:
    event = api_event(b"", secret=SECRET)
    event["body"], event["isBase64Encoded"] = "<POSTBACK><CODE>N201</CODE></POSTBACK>", True
    answer = ingest(event)
    assert (answer["statusCode"], json.loads(answer["body"])["error"]) == (400, "bad_base64")


def test_postback_over_dynamodbs_item_limit_is_refused_and_kept(ingest: Invoke, stack: StackResources) -> None:
    # 99 unknown fields of 4 KiB: valid for the model, over DynamoDB's 400 KB item limit.
    extras = b"".join(b"<X%d>%s</X%d>" % (n, b"v" * 4096, n) for n in range(99))
    body = (
        POSTBACK_HEAD + extras + b"<TEXT>" + b"t" * 4096 + b"</TEXT><SUBJECT>" + b"s" * 4096 + b"</SUBJECT></POSTBACK>"
    )
    status, answer = post(ingest, body)
    assert (status, answer["error"]) == (422, "invalid_postback")
    assert len(kept_keys(stack, "quarantine/invalid_postback/")) == 1
