"""Request body to payload: raw XML, JSON, an `xml=` form field or a flat form; size-capped before parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from postbacks.domain import charsets, forms
from postbacks.domain.errors import PostbackRejected, Reason


class Syntax(StrEnum):
    XML = "xml"
    JSON = "json"
    FORM = "form"  # a flat form: its fields are the postback


@dataclass(frozen=True, slots=True)
class Payload:
    syntax: Syntax
    data: bytes  # UTF-8, or bytes whose BOM or XML declaration names their encoding
    # A flat form's fields; beside an `xml` field, the form's other fields.
    fields: tuple[tuple[str, str], ...] = ()
    # When `data` is the XML read in the Content-Type's charset: the bytes as sent, and that charset's codec.
    sent: bytes | None = None
    sent_codec: str | None = None


# UTF-32's BOMs first: `ff fe 00 00` also starts with UTF-16-LE's.
UTF32_BOMS = {b"\xff\xfe\x00\x00": "utf-32-le", b"\x00\x00\xfe\xff": "utf-32-be"}
BOMS = {**UTF32_BOMS, b"\xef\xbb\xbf": "utf-8", b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


def bom(data: bytes) -> tuple[bytes, str] | None:
    """The byte order mark `data` starts with, and the codec it names."""
    return next(((mark, name) for mark, name in BOMS.items() if data.startswith(mark)), None)


_BOMS = tuple(BOMS)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\s;\"']+)", re.IGNORECASE)
_DECLARED = re.compile(rb"\s*<\?xml[^>]*\bencoding\s*=", re.IGNORECASE)


def checked_body(raw: bytes, max_bytes: int) -> bytes:
    """The posted bytes, refused when empty, blank or over `max_bytes`."""
    if not raw:
        raise PostbackRejected(Reason.EMPTY_BODY, "The request has no body.")
    if len(raw) > max_bytes:
        raise too_large(max_bytes)
    if not raw.strip():
        raise PostbackRejected(Reason.EMPTY_BODY, "The request body is blank.")
    return raw


def payload(raw: bytes, content_type: str | None) -> Payload:
    """Find the postback inside the body. The bytes decide; the Content-Type only breaks ties.

    The vendor's Content-Type is not reliable (raw XML arrives as form data and vice versa), so a
    body that starts like XML or JSON is taken as such whatever the header says. Its charset is
    honoured where the bytes leave the encoding open (see `_as_utf8`).
    """
    charset = _charset(content_type)
    start = _strip_text_start(raw)[:1]
    if start == b"<":
        return _as_utf8(raw, charset, Syntax.XML)
    if start in (b"{", b"["):
        return _as_utf8(raw, charset, Syntax.JSON)
    if forms.looks_like_form(raw):
        return _from_form(raw, charset)
    if _is_json_type(content_type):
        return _as_utf8(raw, charset, Syntax.JSON)
    return _as_utf8(raw, charset, Syntax.XML)


def _from_form(raw: bytes, charset: str | None) -> Payload:
    form = forms.parse_form(raw, charset)
    if form.postback is None:
        return Payload(Syntax.FORM, b"", form.fields)
    if not form.postback.strip():
        raise PostbackRejected(Reason.EMPTY_BODY, "The xml form field is empty.")
    is_json = _strip_text_start(form.postback)[:1] in (b"{", b"[")
    syntax = Syntax.JSON if is_json else Syntax.XML
    return _as_utf8(form.postback, charset, syntax, form.fields)


def _as_utf8(data: bytes, charset: str | None, syntax: Syntax, fields: tuple[tuple[str, str], ...] = ()) -> Payload:
    """The body in UTF-8, read in the Content-Type's charset where the bytes leave it open (charsets.py).

    A BOM, then an XML declaration's encoding, win over the header: the parser reads those.
    """
    xml = syntax is Syntax.XML
    if data.startswith(_BOMS) or (xml and _DECLARED.match(data)) or not charsets.needed(data, charsets.codec(charset)):
        return Payload(syntax, data, fields)
    try:
        utf8 = charsets.decode(data, charset).encode("utf-8")
    except (UnicodeError, LookupError) as error:  # LookupError: a codec that is not a text encoding
        raise PostbackRejected(Reason.BAD_ENCODING, f"The body is not valid {(charset or '')[:40]}.") from error
    return Payload(syntax, utf8, fields, sent=data, sent_codec=charsets.codec(charset))


def _charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _strip_text_start(raw: bytes) -> bytes:
    found = bom(raw)
    if found is not None:
        mark, codec = found
        raw = raw[len(mark) :]
        if codec != "utf-8":
            # UTF-16/32: "{" is b"\x00{" big-endian, so sniff the decoded text (a UTF-16-BE JSON body was read as XML).
            raw = raw[:256].decode(codec, errors="ignore").lstrip().encode("utf-8", errors="ignore")
    return raw.lstrip()


def _is_json_type(content_type: str | None) -> bool:
    return bool(content_type) and "json" in (content_type or "").lower()


def too_large(max_bytes: int) -> PostbackRejected:
    return PostbackRejected(Reason.BODY_TOO_LARGE, f"The body is larger than {max_bytes} bytes.")
