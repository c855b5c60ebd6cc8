"""The API emulator: an HTTP request becomes the function's event, the function's answer the HTTP response."""

from __future__ import annotations

import base64
import socket
import uuid
from collections.abc import Iterator

import pytest
import requests

from postbacks_local.api import MAX_REQUEST_BYTES, ApiEmulator
from postbacks_local.runtime import LocalFunction
from tests.helpers import SEEDS, RecordingHandler

SECRET = "local-secret"


@pytest.fixture
def ingest() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def api(ingest: RecordingHandler) -> Iterator[ApiEmulator]:
    emulator = ApiEmulator(LocalFunction("IngestFunction", ingest), port=0)
    emulator.start()
    yield emulator
    emulator.stop()


def test_raw_xml_post_becomes_a_payload_2_event(api: ApiEmulator, ingest: RecordingHandler) -> None:
    xml = (SEEDS / "000_sms_mt_n201.xml").read_bytes()

    answer = requests.post(
        api.postback_url(SECRET) + "?a=1&a=2&b=x%20y", data=xml, headers={"Content-Type": "text/xml"}, timeout=10
    )

    assert answer.status_code == 200
    [event] = ingest.events
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /postbacks/{secret}"
    assert event["rawPath"] == f"/postbacks/{SECRET}"
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y"
    assert event["pathParameters"] == {"secret": SECRET}
    assert event["body"] == xml.decode("utf-8")
    assert event["isBase64Encoded"] is False
    assert event["headers"]["content-type"] == "text/xml"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    context = event["requestContext"]
    assert context["routeKey"] == "POST /postbacks/{secret}"
    assert context["http"]["method"] == "POST"
    assert context["http"]["path"] == f"/postbacks/{SECRET}"
    assert context["stage"] == "$default"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert uuid.UUID(context["requestId"])


def test_form_post_reaches_the_function_base64_encoded(api: ApiEmulator, ingest: RecordingHandler) -> None:
    answer = requests.post(api.postback_url(SECRET), data={"xml": "<RESPONSE>ü</RESPONSE>"}, timeout=10)

    assert answer.status_code == 200
    [event] = ingest.events
    assert event["headers"]["content-type"] == "application/x-www-form-urlencoded"
    # HTTP APIs pass only text media types (text/*, JSON, XML) as text.
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"xml=%3CRESPONSE%3E%C3%BC%3C%2FRESPONSE%3E"


def test_repeated_headers_are_joined_and_cookies_listed(api: ApiEmulator, ingest: RecordingHandler) -> None:
    lines = [f"POST /postbacks/{SECRET} HTTP/1.1", "Host: x", "Content-Length: 4", "Connection: close"]
    lines += ["X-Tag: a", "X-Tag: b", "Cookie: c1=1; c2=2", "Content-Type: text/xml"]

    raw_request(api, "\r\n".join(lines) + "\r\n\r\n", b"<x/>")

    [event] = ingest.events
    assert event["headers"]["x-tag"] == "a,b"
    assert event["cookies"] == ["c1=1", "c2=2"]
    assert "cookie" not in event["headers"]


def test_binary_post_reaches_the_function_base64_encoded(api: ApiEmulator, ingest: RecordingHandler) -> None:
    body = b"\xff\xfe<RESPONSE>\x00\x81</RESPONSE>"

    requests.post(api.postback_url(SECRET), data=body, headers={"Content-Type": "text/xml"}, timeout=10)

    [event] = ingest.events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_chunked_post_is_reassembled(api: ApiEmulator, ingest: RecordingHandler) -> None:
    parts = [b"<RESPONSE>", b"<CODE>N201</CODE>", b"</RESPONSE>"]

    requests.post(api.postback_url(SECRET), data=iter(parts), headers={"Content-Type": "text/xml"}, timeout=10)

    [event] = ingest.events
    assert event["body"] == b"".join(parts).decode()


def raw_request(api: ApiEmulator, head: str, body: bytes = b"") -> bytes:
    """The status line the emulator answers a hand-made request with."""
    with socket.create_connection((api.server.host, api.server.port), timeout=10) as connection:
        connection.sendall(head.encode() + body)
        return connection.makefile("rb").readline()


def test_malformed_chunked_body_is_400(api: ApiEmulator, ingest: RecordingHandler) -> None:
    head = f"POST /postbacks/{SECRET} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

    status_line = raw_request(api, head, b"zz\r\n<x/>\r\n0\r\n\r\n")

    assert status_line.split()[1] == b"400"
    assert ingest.events == []


def test_chunked_body_over_api_gateway_limit_is_413(api: ApiEmulator, ingest: RecordingHandler) -> None:
    chunk = b"x" * (1024 * 1024)
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(11)) + b"0\r\n\r\n"
    head = f"POST /postbacks/{SECRET} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

    status_line = raw_request(api, head, body)

    assert status_line.split()[1] == b"413"
    assert ingest.events == []


def test_chunked_body_of_exactly_the_limit_arrives_whole(api: ApiEmulator, ingest: RecordingHandler) -> None:
    body = b"x" * MAX_REQUEST_BYTES

    requests.post(api.postback_url(SECRET), data=iter([body[: len(body) // 2], body[len(body) // 2 :]]), timeout=30)

    [event] = ingest.events
    # No Content-Type: not a text type, so the HTTP API hands it over base64-encoded.
    assert event["isBase64Encoded"] is True
    assert len(base64.b64decode(event["body"])) == MAX_REQUEST_BYTES


def test_function_answer_is_relayed(api: ApiEmulator, ingest: RecordingHandler) -> None:
    ingest.result = {
        "statusCode": 503,
        "headers": {"Content-Type": "application/json", "Retry-After": "300"},
        "body": '{"error":"storage_unavailable"}',
        "isBase64Encoded": False,
    }

    answer = requests.post(api.postback_url(SECRET), data="<x/>", timeout=10)

    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "300"
    assert answer.json() == {"error": "storage_unavailable"}


def test_base64_answer_is_decoded(api: ApiEmulator, ingest: RecordingHandler) -> None:
    ingest.result = {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}

    answer = requests.post(api.postback_url(SECRET), data="<x/>", timeout=10)

    assert answer.content == b"\x00\x01"


def test_body_over_api_gateway_limit_is_413(api: ApiEmulator, ingest: RecordingHandler) -> None:
    with socket.create_connection((api.server.host, api.server.port), timeout=10) as connection:
        connection.sendall(
            f"POST /postbacks/{SECRET} HTTP/1.1\r\nHost: x\r\nContent-Length: {11 * 1024 * 1024}\r\n\r\n".encode()
        )
        status_line = connection.makefile("rb").readline()

    assert status_line.split()[1] == b"413"
    assert ingest.events == []


def test_unknown_path_is_404_without_calling_the_function(api: ApiEmulator, ingest: RecordingHandler) -> None:
    answer = requests.post(f"{api.url}/postbacks/{SECRET}/extra", data="<x/>", timeout=10)

    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"
    assert ingest.events == []


def test_method_the_template_does_not_route_is_404(api: ApiEmulator, ingest: RecordingHandler) -> None:
    answer = requests.get(api.postback_url(SECRET), timeout=10)

    assert answer.status_code == 404
    assert ingest.events == []


def test_raising_function_is_a_502(api: ApiEmulator, ingest: RecordingHandler) -> None:
    ingest.result = RuntimeError("boom")

    answer = requests.post(api.postback_url(SECRET), data="<x/>", timeout=10)

    assert answer.status_code == 502
    assert answer.json() == {"message": "Internal server error"}


def test_function_gets_a_lambda_context(api: ApiEmulator, ingest: RecordingHandler) -> None:
    requests.post(api.postback_url(SECRET), data="<x/>", timeout=10)

    [context] = ingest.contexts
    assert context.function_name == "IngestFunction"
    assert context.invoked_function_arn.endswith(":function:IngestFunction")
    assert 0 < context.get_remaining_time_in_millis() <= 30_000
    assert uuid.UUID(context.aws_request_id)
