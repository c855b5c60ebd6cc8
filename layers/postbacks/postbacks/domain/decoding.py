"""Request body to payload: raw XML, an `xml=` form field, or JSON; size-capped before anything is parsed."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote_plus

from postbacks.domain.errors import PostbackRejected, Reason


class Syntax(StrEnum):
    XML = "xml"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class Payload:
    syntax: Syntax
    data: bytes
    wrapping: str  # "raw" or "form": how the sender put it on the wire


_FORM_FIELD = re.compile(rb"^\s*xml=", re.IGNORECASE)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def body_bytes(body: str | None, *, is_base64: bool, max_bytes: int) -> bytes:
    """The bytes the sender posted. The cap is checked before decoding so a huge body costs nothing."""
    if not body:
        raise PostbackRejected(Reason.EMPTY_BODY, "The request has no body.")
    limit = max_bytes * 4 // 3 + 4 if is_base64 else max_bytes
    if len(body) > limit:
        raise _too_large(max_bytes)
    if not is_base64:
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError as error:  # lone surrogates from a broken upstream decode
            raise PostbackRejected(Reason.BAD_ENCODING, "The body is not valid UTF-8.") from error
    else:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise PostbackRejected(Reason.BAD_BASE64, "The body is flagged base64 but is not.") from error
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    if not raw.strip():
        raise PostbackRejected(Reason.EMPTY_BODY, "The request body is blank.")
    return raw


def payload(raw: bytes, content_type: str | None) -> Payload:
    """Find the postback inside the body. The bytes decide; the Content-Type only breaks ties.

    The vendor's Content-Type is not reliable (raw XML arrives as form data and vice versa), so a
    body that starts like XML or JSON is taken as such whatever the header says.
    """
    if _FORM_FIELD.match(raw):
        return _from_form(raw)
    stripped = _strip_text_start(raw)
    if stripped[:1] in (b"{", b"[") or (_is_json_type(content_type) and stripped[:1] != b"<"):
        return Payload(Syntax.JSON, raw, "raw")
    return Payload(Syntax.XML, raw, "raw")


def _from_form(raw: bytes) -> Payload:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PostbackRejected(Reason.BAD_ENCODING, "The form body is not valid UTF-8.") from error
    value = _form_value(text)
    if not value.strip():
        raise PostbackRejected(Reason.EMPTY_BODY, "The xml form field is empty.")
    data = value.encode("utf-8")
    syntax = Syntax.JSON if value.lstrip()[:1] in ("{", "[") else Syntax.XML
    return Payload(syntax, data, "form")


def _form_value(text: str) -> str:
    """The `xml` field's value.

    A well-encoded field has no raw `<` or `{`; there `+` means space and `%2B` a plus. A sender
    that posts `xml=<POSTBACK>...` unencoded would have the `+` of base64 tracking ids turned into
    spaces by form decoding, so an unencoded value is taken literally, `&` and all.
    """
    _, _, rest = text.partition("=")
    if "<" in rest or "{" in rest:
        return rest
    value, _, _ = rest.partition("&")
    try:
        return unquote_plus(value, errors="strict")
    except UnicodeDecodeError as error:
        raise PostbackRejected(Reason.BAD_ENCODING, "The xml form field is not valid UTF-8.") from error


def _strip_text_start(raw: bytes) -> bytes:
    for bom in _BOMS:
        if raw.startswith(bom):
            raw = raw[len(bom) :]
            if bom != _BOMS[0]:
                # UTF-16: "{" is b"\x00{" big-endian, so sniff the decoded text (a UTF-16-BE JSON body was read as XML).
                codec = "utf-16-le" if bom == b"\xff\xfe" else "utf-16-be"
                raw = raw[:256].decode(codec, errors="ignore").lstrip().encode("utf-8", errors="ignore")
            break
    return raw.lstrip()


def _is_json_type(content_type: str | None) -> bool:
    return bool(content_type) and "json" in (content_type or "").lower()


def _too_large(max_bytes: int) -> PostbackRejected:
    return PostbackRejected(Reason.BODY_TOO_LARGE, f"The body is larger than {max_bytes} bytes.")
