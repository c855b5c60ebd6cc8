"""Request bodies as API Gateway carries them: text, or base64 when the bytes are not UTF-8."""

from __future__ import annotations

import base64


def encode_body(body: bytes) -> tuple[str | None, bool]:
    """The body and flag API Gateway hands a function: the text, or base64 when the bytes are not UTF-8."""
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def decode_body(body: str, is_base64: bool) -> bytes:
    """The bytes behind an API Gateway body (an event's or a proxy response's)."""
    return base64.b64decode(body) if is_base64 else body.encode("utf-8")
