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


_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
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
        return Payload(Syntax.XML, _as_utf8(raw, charset, xml=True))
    if start in (b"{", b"["):
        return Payload(Syntax.JSON, _as_utf8(raw, charset, xml=False))
    if forms.looks_like_form(raw):
        return _from_form(raw, charset)
    if _is_json_type(content_type):
        return Payload(Syntax.JSON, _as_utf8(raw, charset, xml=False))
    return Payload(Syntax.XML, _as_utf8(raw, charset, xml=True))


def _from_form(raw: bytes, charset: str | None) -> Payload:
    form = forms.parse_form(raw, charset)
    if form.postback is None:
        return Payload(Syntax.FORM, b"", form.fields)
    if not form.postback.strip():
        raise PostbackRejected(Reason.EMPTY_BODY, "The xml form field is empty.")
    is_json = _strip_text_start(form.postback)[:1] in (b"{", b"[")
    syntax = Syntax.JSON if is_json else Syntax.XML
    return Payload(syntax, _as_utf8(form.postback, charset, xml=not is_json), form.fields)


def _as_utf8(data: bytes, charset: str | None, *, xml: bool) -> bytes:
    """The body in UTF-8, read in the Content-Type's charset where the bytes leave it open (charsets.py).

    A BOM, then an XML declaration's encoding, win over the header: the parser reads those.
    """
    if data.startswith(_BOMS) or (xml and _DECLARED.match(data)) or not charsets.needed(data, charsets.codec(charset)):
        return data
    try:
        return charsets.decode(data, charset).encode("utf-8")
    except (UnicodeError, LookupError) as error:  # LookupError: a codec that is not a text encoding
        raise PostbackRejected(Reason.BAD_ENCODING, f"The body is not valid {(charset or '')[:40]}.") from error


def _charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


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


def too_large(max_bytes: int) -> PostbackRejected:
    return PostbackRejected(Reason.BODY_TOO_LARGE, f"The body is larger than {max_bytes} bytes.")
