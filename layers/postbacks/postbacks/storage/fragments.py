"""A bundle's own bytes, notification by notification, so each stored item keeps exactly what it arrived in.

Runs only on XML the parser (defusedxml) has already accepted; DOCTYPE and entities are refused here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.parsers import expat


@dataclass(frozen=True, slots=True)
class Bundle:
    head: bytes  # everything up to and including the root's start tag (declaration, comments)
    tail: bytes  # the root's end tag and what follows it
    notifications: tuple[bytes, ...]

    def standalone(self, fragment: bytes) -> bytes:
        """One notification as it would have been posted alone: the bundle's envelope around it."""
        return self.head + fragment + self.tail


class _Refused(Exception):
    pass


def split(data: bytes) -> Bundle | None:
    """The byte span of each `<NOTIFICATION>` directly under the root; None if the XML cannot be split."""
    # Leading blank lines are skipped as the parser skips them; offsets are into `text`.
    text = data.lstrip() if data[:1].isspace() else data
    offset = len(data) - len(text)
    parser = expat.ParserCreate(namespace_separator=" ")
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
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
        # As the parser does: a namespaced element ("uri local") is not a notification.
        if depth == 2 and name.lower() == "notification":
            opening = _tag_end(text, start)
            # An empty element (`<NOTIFICATION/>`) has no end tag: its start tag is all of it.
            empty = text[opening - 2 : opening] == b"/>"
            spans.append((start, opening if empty else _tag_end(text, parser.CurrentByteIndex)))
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
    return Bundle(
        head=data[:offset] + text[: _tag_end(text, root_start)],
        tail=text[root_end:],
        notifications=tuple(text[a:b] for a, b in spans),
    )


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
