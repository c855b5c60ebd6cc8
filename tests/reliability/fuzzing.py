"""Inputs for fuzzing decode + parse, and the property every input must satisfy.

Shared by the CI tests (test_fuzz_decode_parse.py) and the long run (fuzz_long.py), which only raises the counts:
`POSTBACKS_FUZZ_SCALE` multiplies every example count below.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote_plus
from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st

from postbacks.domain import decoding, parsing
from postbacks.domain.codes import CODES, Status
from postbacks.domain.errors import PostbackRejected, Reason
from postbacks.domain.jobs import StoreJob, dump_job, parse_job
from postbacks.domain.models import Postback
from postbacks.service import api_request
from postbacks.storage import keys
from tests.helpers import ALL_SEEDS, HOSTILE

MAX_BODY_BYTES = 524_288  # the functions' default
SCALE = max(1, int(os.environ.get("POSTBACKS_FUZZ_SCALE", "1")))


def examples(count: int) -> int:
    return count * SCALE


# --- the property -------------------------------------------------------------------------------------

Outcome = parsing.ParsedBody | PostbackRejected


def decode_and_parse(body: str | None, is_base64: bool, content_type: str | None) -> Outcome:
    """What the ingest function does before storage. Anything raised other than a refusal is a bug."""
    try:
        posted = api_request.body_bytes(body, is_base64=is_base64, max_bytes=MAX_BODY_BYTES)
        raw = decoding.checked_body(posted, MAX_BODY_BYTES)
        return parsing.parse(decoding.payload(raw, content_type))
    except PostbackRejected as rejection:
        return rejection


# Attributes DynamoDB uses as keys (table or index): an empty string there makes the write fail (a 503).
_KEY_ATTRIBUTES = ("tracking_id", "to", "from", "mms_id", "code", "transaction_id")


def check(outcome: Outcome) -> None:
    """A refusal names its reason; an accepted postback is storable and survives the trip through the queue."""
    if isinstance(outcome, PostbackRejected):
        assert isinstance(outcome.reason, Reason)
        assert outcome.reason is not Reason.UNPARSEABLE  # set only by the service when the parser raises
        assert outcome.detail
        return
    assert outcome.postbacks
    assert outcome.bundled == (len(outcome.postbacks) > 1)
    for postback in outcome.postbacks:
        check_postback(postback)


def check_postback(postback: Postback) -> None:
    assert postback.code
    assert postback.code == postback.code.strip().upper()
    assert isinstance(postback.status, Status)
    fields = postback.canonical()
    json.dumps(fields)  # storable and printable as JSON
    for name in _KEY_ATTRIBUTES:
        assert fields.get(name, "x") != "", f"{name} is an empty string"
    assert keys.message_key(postback)
    # A bundle item is re-validated by the worker: it must come out of the queue as the same postback.
    job = parse_job(dump_job(StoreJob(postback=postback, received_at="2026-01-01T00:00:00.000Z")))
    assert isinstance(job, StoreJob)
    assert job.postback.fingerprint() == postback.fingerprint()
    assert job.postback.canonical() == fields


def fingerprints(outcome: Outcome) -> list[str]:
    assert not isinstance(outcome, PostbackRejected), f"{outcome.reason}: {outcome.detail}"
    return [postback.fingerprint() for postback in outcome.postbacks]


# --- how a body reaches the function --------------------------------------------------------------------


def api_gateway_body(raw: bytes, *, force_base64: bool = False) -> tuple[str, bool]:
    """API Gateway passes UTF-8 text as is and anything else (or everything, with binary media types) base64."""
    if not force_base64:
        try:
            return raw.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(raw).decode("ascii"), True


def _declare(text: str, encoding: str) -> str:
    """The XML text with its declaration naming `encoding` (added when it has none)."""
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'
    if text.lstrip().startswith("<?xml"):
        return re.sub(r"^\s*<\?xml[^>]*\?>", declaration, text, count=1)
    return declaration + text


def _namespaced(text: str) -> str:
    """The XML with its root element in a default namespace."""
    return re.sub(r"<(POSTBACK|postback)([\s>])", r'<\1 xmlns="urn:vendor:postback"\2', text, count=1)


def _xml_only(text: str) -> bool:
    return text.lstrip().startswith("<")


# How a sender may put the same postback on the wire. Each takes the postback's text; None: not applicable.
WRAPPINGS: dict[str, Callable[[str], bytes | None]] = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 with BOM": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    "utf-16 with BOM": lambda text: text.encode("utf-16"),
    "utf-16-be with BOM": lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
    "latin-1 declared": lambda text: _declare(text, "ISO-8859-1").encode("latin-1") if _xml_only(text) else None,
    "form, encoded": lambda text: b"xml=" + quote_plus(text).encode("ascii"),
    "form, unencoded": lambda text: b"XML=" + text.encode("utf-8"),
    "form, after another field": lambda text: b"account=acme&xml=" + quote_plus(text).encode("ascii"),
    "namespaced root": lambda text: _namespaced(text).encode("utf-8") if _xml_only(text) else None,
    "leading blank lines": lambda text: b"\r\n\r\n  " + text.encode("utf-8"),
}

CONTENT_TYPES: list[str | None] = [
    None,
    "",
    "text/xml",
    "application/xml; charset=utf-8",
    "text/xml; charset=utf-16",
    "application/json",
    "application/json; charset=iso-8859-1",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "text/plain",
    "application/octet-stream",
    "*/*",
]

content_types = st.one_of(st.sampled_from(CONTENT_TYPES), st.text(max_size=40))


# --- arbitrary input ------------------------------------------------------------------------------------

# Every code point, lone surrogates included: an API Gateway event's JSON may carry "\ud800".
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=2000)
base64ish = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n -_", max_size=400)

SEED_BYTES: list[bytes] = [path.read_bytes() for path in ALL_SEEDS]
HOSTILE_BYTES: list[bytes] = [path.read_bytes() for path in sorted(HOSTILE.iterdir())]

# Fragments that move a parser into its corners when dropped into a document.
TOKENS: list[bytes] = [
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"&#0;",
    b"&#x1F600;",
    b"&undefined;",
    b"]]>",
    b"<![CDATA[x]]>",
    b"<!-- c -->",
    b"<?pi x?>",
    b'<!DOCTYPE p [<!ENTITY e "x">]>',
    b"<BODY>",
    b"</BODY>",
    b"<NOTIFICATION>",
    b"</NOTIFICATION>",
    b"<CODE>N202</CODE>",
    b"<TIMESTAMP>9999-12-31T23:59:59</TIMESTAMP>",
    b'<?xml version="1.0" encoding="utf-16"?>',
    b"\x00",
    b"\xff",
    b"\xc3\x28",
    b"\xef\xbb\xbf",
    b"\xed\xa0\x80",
    b'"',
    b"{",
    b"}",
    b"[",
    b'"code":',
    b"xml=",
    b"%",
    b"+",
    b" ",
    b"\r\n",
]

_TAG = re.compile(rb"(</?)([A-Za-z_][\w.:-]*)")


@st.composite
def mutated_seeds(draw: st.DrawFn) -> bytes:
    """A vendor example (or a hostile one) with a few byte-level edits."""
    data = bytearray(draw(st.sampled_from(SEED_BYTES + HOSTILE_BYTES)))
    for operation in draw(st.lists(st.sampled_from(_MUTATIONS), min_size=1, max_size=4)):
        data = operation(draw, data)
    return bytes(data)


def _position(draw: st.DrawFn, data: bytearray) -> int:
    return draw(st.integers(min_value=0, max_value=len(data)))


def _flip(draw: st.DrawFn, data: bytearray) -> bytearray:
    if data:
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return data


def _truncate(draw: st.DrawFn, data: bytearray) -> bytearray:
    return data[: _position(draw, data)]


def _insert(draw: st.DrawFn, data: bytearray) -> bytearray:
    at = _position(draw, data)
    piece = draw(st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=16)))
    return data[:at] + piece + data[at:]


def _delete(draw: st.DrawFn, data: bytearray) -> bytearray:
    start = _position(draw, data)
    return data[:start] + data[start + draw(st.integers(1, 64)) :]


def _duplicate(draw: st.DrawFn, data: bytearray) -> bytearray:
    start = _position(draw, data)
    end = min(len(data), start + draw(st.integers(1, 256)))
    return data[:end] + data[start:end] * draw(st.integers(1, 8)) + data[end:]


def _tag_case(draw: st.DrawFn, data: bytearray) -> bytearray:
    """Change the case of some tag names (both of a pair, or only one: then the XML is broken)."""
    change = draw(st.sampled_from([bytes.lower, bytes.upper, bytes.swapcase, bytes.title]))
    return bytearray(_TAG.sub(lambda m: m.group(1) + change(m.group(2)) if draw(st.booleans()) else m.group(0), data))


def _splice(draw: st.DrawFn, data: bytearray) -> bytearray:
    other = draw(st.sampled_from(SEED_BYTES))
    return data[: _position(draw, data)] + other[draw(st.integers(0, len(other))) :]


_MUTATIONS = [_flip, _truncate, _insert, _delete, _duplicate, _tag_case, _splice]


# --- generated postbacks --------------------------------------------------------------------------------

# Canonical field names as the vendor spells them; each is sent in several spellings below.
VENDOR_NAMES = [
    "TRACKINGID",
    "CODE",
    "ORIGIN",
    "STATUS",
    "STATUS_DETAILS",
    "FROM",
    "FROM_MASK",
    "TO",
    "SPID",
    "OPERATOR_ID",
    "OPERATOR_NAME",
    "MMSID",
    "SENTAS",
    "HANDSET",
    "OS",
    "AGGREGATORID",
    "CLIENT_REFERENCE",
    "TRANSACTIONID",
    "TIMESTAMP",
    "RECEIVED",
    "KEYWORD",
    "TEXT",
    "SUBJECT",
    "CONTENT",
    "COPYTO",
    "AUDIO_NAME",
    "VIDEO_NAME",
]


@st.composite
def field_names(draw: st.DrawFn) -> str:
    name = draw(
        st.one_of(st.sampled_from(VENDOR_NAMES), st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,24}", fullmatch=True))
    )
    style = draw(st.sampled_from(["as is", "lower", "dashes", "underscores removed", "title"]))
    return {
        "as is": name,
        "lower": name.lower(),
        "dashes": name.lower().replace("_", "-"),
        "underscores removed": name.replace("_", ""),
        "title": name.title(),
    }[style]


codes = st.one_of(
    st.sampled_from(sorted(CODES)),
    st.sampled_from(["N301", "N801", "X999", "n202", " N101 ", "", "E", "N2021"]),
    st.text(max_size=40),
)


@st.composite
def vendor_timestamps(draw: st.DrawFn, min_year: int = 1900, max_year: int = 2100) -> str:
    """Timestamps in the shapes the vendor uses, with offsets from -23:59 to +23:59, or none.

    Years stay within 1900-2100 by default: an offset that carries the UTC time past 9999 or before 0001
    still crashes timestamps.normalise (see test_hostile_corpus: timestamp out of range).
    """
    moment = draw(st.datetimes(min_value=datetime(min_year, 1, 1), max_value=datetime(max_year, 12, 31)))
    offset = draw(st.one_of(st.none(), st.integers(-(24 * 60 - 1), 24 * 60 - 1)))
    if offset is not None:
        moment = moment.replace(tzinfo=timezone(timedelta(minutes=offset)))
    shape = draw(st.sampled_from(["iso", "space", "seconds", "vendor", "garbage"]))
    if shape == "garbage":
        return draw(st.text(max_size=40))
    text = moment.isoformat(
        sep=" " if shape in ("space", "vendor") else "T", timespec="seconds" if shape == "seconds" else "auto"
    )
    if shape == "vendor" and text.endswith(":00") and offset is not None:
        text = text[:-3]  # "-04" as in "2011-09-28 17:31:02.835577-04"
    return text


def _xml_char(character: str) -> bool:
    code = ord(character)
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000


def values(max_size: int) -> st.SearchStrategy[str]:
    """Field values: short, long, blank, and in every script XML can carry."""
    text = st.text(alphabet=st.characters(codec="utf-8").filter(_xml_char), max_size=max_size)
    return st.one_of(text, st.sampled_from(["", " ", "\t\n", "\u00a0", "TU1TXzU5Nzg3OQ==", "a+b/c=="]))


@st.composite
def xml_postbacks(draw: st.DrawFn, max_value: int = 300) -> bytes:
    """XML that looks like a postback: known and unknown fields in any spelling, bundles, BODY, odd roots."""

    def element(depth: int) -> str:
        name = draw(field_names())
        if name.upper() == "CODE":
            inner = escape(draw(codes))
        elif name.upper() in ("TIMESTAMP", "RECEIVED"):
            inner = escape(draw(vendor_timestamps()))
        elif depth < 3 and draw(st.integers(0, 5)) == 0:
            children = [element(depth + 1) for _ in range(draw(st.integers(0, 3)))]
            inner = "".join(children)
        else:
            inner = escape(draw(values(max_value)))
            if draw(st.integers(0, 9)) == 0:
                inner = f"<![CDATA[{inner.replace(']]>', '')}]]>"
        return f"<{name}>{inner}</{name}>"

    def fields(depth: int) -> str:
        parts = [element(depth) for _ in range(draw(st.integers(0, 12)))]
        if draw(st.booleans()):
            parts.insert(draw(st.integers(0, len(parts))), f"<CODE>{escape(draw(codes))}</CODE>")
        if draw(st.integers(0, 4)) == 0:
            body = draw(st.sampled_from(["BODY", "body", "Body"]))
            parts.append(f"<{body}>{''.join(element(depth + 1) for _ in range(draw(st.integers(0, 4))))}</{body}>")
        return "".join(parts)

    root = draw(st.sampled_from(["POSTBACK", "postback", "Postback", "POSTBACKS", "html", "x:POSTBACK"]))
    namespace = ' xmlns:x="urn:x"' if root.startswith("x:") else ""
    if draw(st.integers(0, 3)) == 0:
        items = []
        for _ in range(draw(st.integers(0, 5))):
            attributes = "".join(
                f" {name}={quoteattr(draw(values(40)))}"
                for name in draw(st.lists(st.sampled_from(["id", "created", "ID", "other"]), unique=True, max_size=3))
            )
            items.append(f"<NOTIFICATION{attributes}>{fields(1)}</NOTIFICATION>")
        inner = "".join(items) + (fields(1) if draw(st.booleans()) else "")
    else:
        inner = fields(0)
    document = f"<{root}{namespace}>{inner}</{root}>"
    if draw(st.booleans()):
        encoding = draw(
            st.sampled_from(["utf-8", "UTF-8", "ISO-8859-1", "us-ascii", "utf-16", "windows-1252", "x-nope"])
        )
        document = f'<?xml version="1.0" encoding="{encoding}"?>\n{document}'
        if draw(st.booleans()):
            # Encoded as declared where possible: a mismatch is a test of its own.
            try:
                return document.encode(encoding, errors="xmlcharrefreplace")
            except LookupError:
                pass
    return document.encode("utf-8")


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    values(300),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)


@st.composite
def json_postbacks(draw: st.DrawFn) -> bytes:
    """Sinch JSON in any spelling: scalars, lists and objects where strings are expected."""
    document: dict[str, Any] = {}
    for _ in range(draw(st.integers(0, 12))):
        name = draw(field_names())
        lowered = name.lower().replace("_", "").replace("-", "")
        if lowered == "code":
            document[name] = draw(st.one_of(codes, json_values))
        elif lowered == "timestamp":
            document[name] = draw(st.one_of(vendor_timestamps(), json_values))
        elif lowered == "content":
            document[name] = draw(
                st.lists(st.one_of(st.fixed_dictionaries({"file": values(100)}), json_values), max_size=4)
            )
        else:
            document[name] = draw(json_values)
    if draw(st.booleans()):
        document["code"] = draw(codes)
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    return text.encode(draw(st.sampled_from(["utf-8", "utf-16", "utf-8-sig"])))


@st.composite
def wrapped(draw: st.DrawFn, documents: st.SearchStrategy[bytes]) -> bytes:
    """A document put on the wire in one of the ways a sender might."""
    raw = draw(documents)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    how = draw(st.sampled_from(sorted(WRAPPINGS)))
    try:
        return WRAPPINGS[how](text) or raw
    except UnicodeEncodeError:
        return raw  # latin-1 cannot carry every character


# What the fuzz tests draw from: arbitrary bytes, mutated examples, generated postbacks in any wrapping.
bodies = st.one_of(
    st.binary(max_size=4000),
    mutated_seeds(),
    wrapped(mutated_seeds()),
    wrapped(xml_postbacks()),
    wrapped(json_postbacks()),
)
