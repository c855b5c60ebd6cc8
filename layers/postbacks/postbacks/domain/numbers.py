"""How numbers compare: by their digits, whatever the spelling (`+1 650-555-0142` is `16505550142`)."""

from __future__ import annotations

_DIGITS = frozenset("0123456789")


def digits(number: str | None) -> str:
    """The number's ASCII digits, in order; "" when it has none (an address, a name)."""
    return "".join(character for character in number or "" if character in _DIGITS)
