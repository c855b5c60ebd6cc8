"""API Gateway's HTTP API request (payload 2.0) to the ingestor's input: the bytes posted and their headers."""

from __future__ import annotations

import base64
import binascii

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from postbacks.domain.decoding import too_large
from postbacks.domain.errors import PostbackRejected, Reason
from postbacks.service.ingest import IngestRequest


def ingest_request(event: APIGatewayProxyEventV2, max_body_bytes: int) -> IngestRequest:
    """Raises PostbackRejected when the body is too large or not the base64 it claims to be."""
    return IngestRequest(
        body=body_bytes(event.body, is_base64=bool(event.is_base64_encoded), max_bytes=max_body_bytes),
        # HTTP API lower-cases header names and joins repeated ones with commas.
        headers={name.lower(): value for name, value in (event.headers or {}).items()},
        request_id=event.request_context.request_id,
    )


def body_bytes(body: str | None, *, is_base64: bool, max_bytes: int) -> bytes:
    """The bytes the sender posted. The cap is checked before decoding so a huge body costs nothing."""
    if not body:
        return b""
    limit = max_bytes * 4 // 3 + 4 if is_base64 else max_bytes
    if len(body) > limit:
        raise too_large(max_bytes)
    if is_base64:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise PostbackRejected(Reason.BAD_BASE64, "The body is flagged base64 but is not.") from error
    try:
        return body.encode("utf-8")
    except UnicodeEncodeError as error:  # lone surrogates from a broken upstream decode
        raise PostbackRejected(Reason.BAD_ENCODING, "The body is not valid UTF-8.") from error
