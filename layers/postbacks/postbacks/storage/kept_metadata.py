"""What is recorded beside a kept body, fitted to S3's hard limits before the call.

S3 refuses a PUT whose user metadata exceeds 2 KB (the UTF-8 bytes of every key and value) or whose key exceeds
1,024 bytes. A refusal must never become a 503 the sender retries for ever, so every value is cut to fit here;
what had to be cut is kept whole in a small JSON sidecar beside the body. Pure: no AWS calls.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, unquote

MAX_METADATA_BYTES: Final = 2048
MAX_KEY_BYTES: Final = 1024
# Quoting with safe="" always escapes "#", so no kept body's key can end like a sidecar's.
SIDECAR_SUFFIX: Final = "#full.json"
CUT_MARK: Final = "\u2026"
# Room kept for the sidecar suffix and the date folders a key carries beside the request id.
_MAX_ID_BYTES: Final = 256
# A reason code and an ISO 8601 time need far less; what a caller passes beyond it goes to the sidecar.
_SHORT_BYTES: Final = 64
_REASON_SAFE: Final = "-_"
_TIME_SAFE: Final = ":+-."
# The detail is ours, the content type the sender's: the latter has first call on the room, not all of it.
_DETAIL_MIN: Final = 256
# No space: HTTP drops a header value's leading and trailing blanks, and the value must come back exact.
_DETAIL_SAFE: Final = ":,.()/-_'"
_CONTENT_TYPE_SAFE: Final = "/;=+-."


@dataclass(frozen=True, slots=True)
class KeptBody:
    reason: str
    detail: str
    content_type: str | None
    request_id: str
    received_at: str
    # Fields too long for S3's metadata, kept whole in the sidecar (set when read back).
    cut: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FittedMetadata:
    metadata: dict[str, str]
    full: dict[str, str] | None  # the values that were cut, whole: the sidecar's content


def object_name(request_id: str) -> str:
    """The last part of a kept body's key: the request id, or its digest when the id is too long for a key."""
    name = quote(request_id, safe="")
    if len(name) <= _MAX_ID_BYTES:
        return name
    return "sha256-" + hashlib.sha256(request_id.encode()).hexdigest()


def fit(kept: KeptBody) -> FittedMetadata:
    """S3 user metadata for `kept`, at most 2 KB: the content type (replay decodes with it) before the detail."""
    inf = MAX_METADATA_BYTES
    # name, value, characters kept as they are, most bytes it may take, bytes it must leave to the ones after it
    fields = (
        ("reason", kept.reason, _REASON_SAFE, _SHORT_BYTES, 0),
        ("received-at", kept.received_at, _TIME_SAFE, _SHORT_BYTES, 0),
        ("content-type", kept.content_type or "", _CONTENT_TYPE_SAFE, inf, _DETAIL_MIN),
        ("detail", kept.detail, _DETAIL_SAFE, inf, 0),
    )
    # Every name, and the "cut" entry at its longest (naming them all), are held back from the start.
    names = [name for name, *_ in fields]
    held_back = len("cut") + len(" ".join(names)) + sum(len(name) for name in names)
    metadata: dict[str, str] = {}
    full: dict[str, str] = {}
    for name, value, safe, most, leave in fields:
        room = min(most, MAX_METADATA_BYTES - held_back - size(metadata) - leave)
        metadata[name], whole = _cut(value, room, safe=safe)
        if not whole:
            full[name] = value
    if full:
        metadata["cut"] = " ".join(full)
    return FittedMetadata(metadata, full or None)


def size(metadata: dict[str, str]) -> int:
    """How S3 counts user metadata against its 2 KB."""
    return sum(len(key.encode()) + len(value.encode()) for key, value in metadata.items())


def sidecar_body(full: dict[str, str]) -> bytes:
    return json.dumps(full, ensure_ascii=False).encode()


def kept_body(request_id: str, metadata: dict[str, str], sidecar: bytes | None, reason: str) -> KeptBody:
    """What was recorded, the cut values taken whole from the sidecar when there is one."""
    full: dict[str, str] = json.loads(sidecar) if sidecar else {}

    def value(name: str) -> str:
        return full.get(name, unquote(metadata.get(name, "")))

    return KeptBody(
        reason=value("reason") or reason,
        detail=value("detail"),
        content_type=value("content-type") or None,
        request_id=request_id,
        received_at=value("received-at"),
        cut=tuple(metadata.get("cut", "").split()),
    )


def _cut(value: str, room: int, *, safe: str) -> tuple[str, bool]:
    """`value` percent-encoded (metadata travels as ASCII headers) in at most `room` bytes; False when cut."""
    encoded = quote(value, safe=safe)
    if len(encoded) <= room:
        return encoded, True
    mark = quote(CUT_MARK)
    if room < len(mark):
        return "", False
    kept: list[str] = []
    used = len(mark)
    for char in value:  # whole characters only: never half an escape or half a UTF-8 sequence
        piece = quote(char, safe=safe)
        if used + len(piece) > room:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + mark, False
