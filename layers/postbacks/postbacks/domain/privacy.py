"""Phone numbers and message text are personal data: what may appear of them in logs."""

from __future__ import annotations

import re
from typing import Any

# Fields that hold message text or an address: never shown. Fields that hold numbers: last four digits only.
TEXT_FIELDS = frozenset({"text", "keyword", "subject", "email", "reference_value"})
NUMBER_FIELDS = frozenset({"from", "to", "from_mask", "copy_to", "mobile"})

# What is an identifier, not a number, and stays exact: our S3 URIs (what `replay` takes), generated message
# keys (~mms:<id>, ~txn:<id>, ~pb:<fingerprint>) and UUIDs, whatever digits they hold. A sender's URL is
# not one: its path may carry a number.
_IDENTIFIER = (
    r"\bs3://[^\s\"'<>]*"
    r"|~[A-Za-z]+:[^\s\"'<>,]*"
    r"|\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b"
)
# A phone number in any common spelling: +1 (650) 111-2222, 650.111.2222, +44 20 7946 0958, 16501112222.
# Digits glued to a letter, `_`, `~` or `.` belong to an id or a decimal, and are not one.
_NUMBER = r"(?<![\w~.+-])\+?\(?\d(?:\)?[ .-]?\(?\d)*(?![\w~:])"
_SCAN = re.compile(f"(?P<id>{_IDENTIFIER})|(?P<number>{_NUMBER})")
_DIGITS_OF_A_PHONE = range(7, 16)  # E.164: at most 15 digits; fewer than 7 is no subscriber number
_NOT_A_PHONE = re.compile(
    r"\d{4}([-./])\d{1,2}\1\d{1,2}"  # a date: 2012-06-07
    r"|\d{1,3}(?:\.\d{1,3}){3}"  # an IPv4 address
)


def mask_number(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return f"***{digits[-4:]}" if len(digits) > 4 else "***"


def mask_text(value: str) -> str:
    """`value` with every phone number in it masked; identifiers and URIs kept exactly."""
    return _SCAN.sub(_masked, value)


def _masked(match: re.Match[str]) -> str:
    text = match.group()
    if match.lastgroup == "id" or _NOT_A_PHONE.fullmatch(text):
        return text
    digits = sum(char.isdigit() for char in text)
    # A run of more digits than a phone number has, written without separators, is an id.
    if digits < _DIGITS_OF_A_PHONE.start or (digits >= _DIGITS_OF_A_PHONE.stop and text.isdigit()):
        return text
    return mask_number(text)


def mask(value: Any, key: str | None = None) -> Any:
    """A copy of `value` fit for a log line."""
    if key in TEXT_FIELDS and value not in (None, ""):
        return "[masked]"
    if isinstance(value, dict):
        return {name: mask(item, str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask(item, key) for item in value]
    if isinstance(value, str):
        return mask_number(value) if key in NUMBER_FIELDS else mask_text(value)
    return value
