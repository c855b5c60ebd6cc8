"""A bundle's own bytes, notification by notification, so each stored item keeps exactly what it arrived in.

Spans are found on the decoded text (whatever encoding the parser read), mapped back to byte offsets in the
bytes as sent, and checked: each fragment must decode to exactly its notification's text, or nothing is cut.
Runs only on XML the parser (defusedxml) has already accepted; DOCTYPE and entities are refused here too.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from xml.parsers import expat

from postbacks.domain import decoding
from postbacks.domain.decoding import Payload
from postbacks.domain.fields import fold

_DECLARED = re.compile(rb"\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']")
# Without a BOM, a codec that writes one is read in this byte order (as Python's own decoder does here).
_WITHOUT_BOM = {"utf-16": "utf-16-le", "utf-32": "utf-32-le"}
_UTF16_START = {b"<\x00": "utf-16-le", b"\x00<": "utf-16-be"}


@dataclass(frozen=True, slots=True)
class Bundle:
    data: bytes  # the bundle's XML as sent (inside its wrapping)
    spans: tuple[tuple[int, int], ...]  # each <NOTIFICATION>'s bytes in `data`
    head: bytes  # BOM, declaration and the root's start tag: the envelope of every notification but the first
    tail: bytes  # the root's end tag and what follows it

    @property
    def notifications(self) -> tuple[bytes, ...]:
        return tuple(self.fragment(index) for index in range(len(self.spans)))

    def fragment(self, index: int) -> bytes:
        start, end = self.spans[index]
        return self.data[start:end]

    def envelope(self, index: int) -> tuple[bytes, bytes]:
        """What goes around notification `index` to post it alone and parse it to the same postback.

        The first notification keeps the bundle's context (everything beside the notifications), so its
        envelope is the bundle with the other notifications cut out; the others keep the root's start tag.
        """
        if index > 0:
            return self.head, self.tail
        between = (self.data[before[1] : after[0]] for before, after in zip(self.spans, self.spans[1:], strict=False))
        return self.data[: self.spans[0][0]], b"".join(between) + self.data[self.spans[-1][1] :]

    def standalone(self, index: int) -> bytes:
        head, tail = self.envelope(index)
        return head + self.fragment(index) + tail


class _Refused(Exception):
    pass


def split(payload: Payload) -> Bundle | None:
    """The exact byte span of each notification directly under the root; None if they cannot be cut exactly."""
    data, codec, start = _as_sent(payload)
    try:
        text = data[start:].decode(codec)
        utf8 = text.encode("utf-8")
    except (UnicodeError, LookupError):
        return None
    found = _spans(utf8)
    if found is None:
        return None
    declaration_end, root_start, root_tag_end, spans, root_end = found
    bounds = sorted({declaration_end, root_start, root_tag_end, root_end, *(at for span in spans for at in span)})
    try:
        offsets = _byte_offsets(utf8, bounds, codec, start)
    except UnicodeError:
        return None
    mapped = tuple((offsets[a], offsets[b]) for a, b in spans)
    exact = all(
        data[a:b].decode(codec, "replace") == utf8[x:y].decode("utf-8")
        for (a, b), (x, y) in zip(mapped, spans, strict=True)
    )
    if not exact or not mapped:
        return None
    head = data[: offsets[declaration_end]] + data[offsets[root_start] : offsets[root_tag_end]]
    return Bundle(data, mapped, head, data[offsets[root_end] :])


def _as_sent(payload: Payload) -> tuple[bytes, str, int]:
    """The XML's bytes as sent, the codec that reads them, and where the text starts (past a BOM)."""
    if payload.sent is not None and payload.sent_codec is not None:
        return payload.sent, _WITHOUT_BOM.get(payload.sent_codec, payload.sent_codec), 0
    data = payload.data
    bom = decoding.bom(data)
    if bom is not None:
        return data, bom[1], len(bom[0])
    if data[:2] in _UTF16_START:
        # No BOM, no charset: expat recognises UTF-16 by its first `<` (XML 1.0, appendix F).
        return data, _UTF16_START[data[:2]], 0
    declared = _DECLARED.match(data)
    if declared is None:
        return data, "utf-8", 0
    try:
        name = codecs.lookup(declared.group(1).decode("ascii")).name
    except LookupError:
        name = "utf-8"
    return data, _WITHOUT_BOM.get(name, name), 0


def _byte_offsets(utf8: bytes, bounds: list[int], codec: str, start: int) -> dict[int, int]:
    """Each offset into `utf8` as an offset into the bytes as sent: one pass, one chunk between bounds."""
    offsets: dict[int, int] = {}
    previous, sent = 0, start
    for bound in bounds:
        sent += len(utf8[previous:bound].decode("utf-8").encode(codec))
        offsets[bound] = sent
        previous = bound
    return offsets


def _spans(utf8: bytes) -> tuple[int, int, int, list[tuple[int, int]], int] | None:
    """In UTF-8 offsets: the declaration's end, the root's start tag, each notification, the root's end tag."""
    text = utf8.lstrip()
    lead = len(utf8) - len(text)
    declaration_end = lead + (text.index(b"?>") + 2 if text.startswith(b"<?xml") else 0)
    parser = expat.ParserCreate(encoding="utf-8", namespace_separator=" ")
    spans: list[tuple[int, int]] = []
    depth = start = 0
    root_start = root_end = -1

    def refuse(*_: object) -> None:
        raise _Refused

    def refuse_reference(*_: object) -> int:
        raise _Refused

    def on_start(name: str, _attributes: object) -> None:
        nonlocal depth, start, root_start
        depth += 1
        if depth == 1:
            root_start = parser.CurrentByteIndex
        elif depth == 2:
            start = parser.CurrentByteIndex

    def on_end(name: str) -> None:
        nonlocal depth, root_end
        # As the parser does: any namespace, any prefix, the tag folded (`NOTI_FICATION`).
        if depth == 2 and fold(name.rsplit(" ", 1)[-1]) == "notification":
            opening = _tag_end(text, start)
            # An empty element (`<NOTIFICATION/>`) has no end tag: its start tag is all of it.
            empty = text[opening - 2 : opening] == b"/>"
            spans.append((lead + start, lead + (opening if empty else _tag_end(text, parser.CurrentByteIndex))))
        if depth == 1:
            root_end = parser.CurrentByteIndex
        depth -= 1

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse_reference
    try:
        parser.Parse(text, True)
    except (expat.ExpatError, _Refused, ValueError, LookupError):
        return None
    if root_start < 0 or root_end < 0:
        return None
    return declaration_end, lead + root_start, lead + _tag_end(text, root_start), spans, lead + root_end


def _tag_end(data: bytes, position: int) -> int:
    """Just past the `>` closing the tag that begins at `position` (quoted `>` in attributes skipped)."""
    quote = 0
    for index in range(position, len(data)):
        byte = data[index]
        if quote:
            quote = 0 if byte == quote else quote
        elif byte in (0x22, 0x27):
            quote = byte
        elif byte == 0x3E:
            return index + 1
    return len(data)
