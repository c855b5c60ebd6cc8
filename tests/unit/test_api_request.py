"""HTTP API request to the ingestor's input: bytes and headers, the size cap checked before decoding."""

from __future__ import annotations

import base64

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from postbacks.domain.errors import PostbackRejected, Reason
from postbacks.service.api_request import body_bytes, ingest_request
from postbacks_local.sample_events import api_event


def test_base64_body_becomes_its_bytes_and_headers_keep_lower_case_names() -> None:
    raw = b"\xff\xfe<RESPONSE/>"
    request = ingest_request(APIGatewayProxyEventV2(api_event(raw, content_type="Text/XML")), max_body_bytes=1000)
    assert request.body == raw
    assert request.content_type == "Text/XML"
    assert request.headers["user-agent"] == "postback-sender"


def test_text_body_is_its_utf8_bytes() -> None:
    assert body_bytes("<a>ü</a>", is_base64=False, max_bytes=100) == "<a>ü</a>".encode()


def test_no_body_is_no_bytes() -> None:
    assert body_bytes(None, is_base64=False, max_bytes=100) == b""


@pytest.mark.parametrize("is_base64", [False, True])
def test_a_body_over_the_cap_is_refused_before_decoding(is_base64: bool) -> None:
    # Not valid base64 at all: only the length can have refused it.
    with pytest.raises(PostbackRejected) as refused:
        body_bytes("!" * 2000, is_base64=is_base64, max_bytes=1000)
    assert refused.value.reason is Reason.BODY_TOO_LARGE


def test_base64_of_exactly_the_cap_passes_the_early_check() -> None:
    encoded = base64.b64encode(b"x" * 1000).decode()
    assert len(body_bytes(encoded, is_base64=True, max_bytes=1000)) == 1000


def test_a_body_flagged_base64_that_is_not_is_refused() -> None:
    with pytest.raises(PostbackRejected) as refused:
        body_bytes("<POSTBACK/>", is_base64=True, max_bytes=1000)
    assert refused.value.reason is Reason.BAD_BASE64


def test_a_lone_surrogate_is_bad_encoding() -> None:
    with pytest.raises(PostbackRejected) as refused:
        body_bytes("<a>\ud800</a>", is_base64=False, max_bytes=1000)
    assert refused.value.reason is Reason.BAD_ENCODING
