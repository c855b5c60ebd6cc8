"""A Content-Type charset, believed only where the bytes leave their encoding open.

Bytes that are valid UTF-8 stay UTF-8 (a header naming another charset is the sender's usual slip);
a UTF-16/32 charset is believed when the bytes hold NULs, which UTF-8 text never does.
"""

from __future__ import annotations

import codecs


def codec(charset: str | None) -> str | None:
    """The codec a charset names, or None when it names none we know (the bytes then decide)."""
    if not charset:
        return None
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None


def needed(data: bytes, name: str | None) -> bool:
    """Whether `data` must be read in codec `name` rather than as UTF-8."""
    if name is None or name == "utf-8":
        return False
    if name.startswith(("utf-16", "utf-32")):
        return b"\x00" in data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def decode(data: bytes, charset: str | None) -> str:
    """`data` as text. Raises UnicodeError (or LookupError for a codec that is not a text encoding)."""
    name = codec(charset)
    return data.decode(name) if name is not None and needed(data, name) else data.decode("utf-8")
