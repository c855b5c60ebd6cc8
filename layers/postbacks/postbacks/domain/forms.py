"""An `application/x-www-form-urlencoded` body: its `xml` / `XML` field (anywhere) and every other field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from postbacks.domain import charsets
from postbacks.domain.errors import PostbackRejected, Reason

_FIELD_START = re.compile(rb"\s*[A-Za-z0-9_.~%+\-\[\]]+=")
_CLOSER = {b"<": b">", b"{": b"}", b"[": b"]"}


@dataclass(frozen=True, slots=True)
class Form:
    postback: bytes | None  # the `xml` field's bytes, percent-decoded; None for a flat form
    fields: tuple[tuple[str, str], ...]  # every other field, decoded, in order


def looks_like_form(raw: bytes) -> bool:
    return _FIELD_START.match(raw) is not None


def parse_form(raw: bytes, charset: str | None) -> Form:
    """Split the body into fields. The first `xml` field is the postback; the rest are kept beside it.

    A well-encoded field has no raw `<` or `{`; there `+` means space and `%2B` a plus. A sender that
    posts `xml=<POSTBACK>...` unencoded would have the `+` of base64 tracking ids turned into spaces by
    form decoding, so an unencoded value is taken literally, up to its last `>` (or `}`), `&` and all.
    """
    raw = raw.strip()
    postback: bytes | None = None
    fields: list[tuple[str, str]] = []
    position = 0
    while position < len(raw):
        amp = raw.find(b"&", position)
        end = len(raw) if amp < 0 else amp
        name_bytes, _, value_bytes = raw[position:end].partition(b"=")
        name = _text(_unquote(name_bytes), charset)
        if postback is None and name.lower() == "xml":
            start = position + len(name_bytes) + 1
            if raw[start:].lstrip()[:1] in _CLOSER:
                stop = _literal_end(raw, start)
                postback, position = raw[start:stop], stop + 1
                continue
            postback = _unquote(value_bytes)
        elif name_bytes or value_bytes:
            fields.append((name, _text(_unquote(value_bytes), charset)))
        position = end + 1
    return Form(postback, tuple(fields))


def _literal_end(raw: bytes, start: int) -> int:
    opener = raw[start:].lstrip()[:1]
    last = raw.rfind(_CLOSER[opener], start)
    after = last + 1
    # What follows the document must be more fields; anything else stays with it for the parser to judge.
    return after if last >= 0 and (after == len(raw) or raw[after : after + 1] == b"&") else len(raw)


def _unquote(value: bytes) -> bytes:
    return unquote_to_bytes(value.replace(b"+", b" "))


def _text(value: bytes, charset: str | None) -> str:
    try:
        return charsets.decode(value, charset)
    except LookupError:  # a codec that is not a text encoding (base64...): UTF-8 as for no charset
        return _text(value, None)
    except UnicodeError as error:
        raise PostbackRejected(Reason.BAD_ENCODING, f"A form field is not valid {charset or 'UTF-8'}.") from error
