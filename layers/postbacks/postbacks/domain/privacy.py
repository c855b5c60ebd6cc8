"""Phone numbers and message text are personal data: what may appear of them in logs."""

from __future__ import annotations

import re
from typing import Any

# Fields that hold message text or an address: never shown. Fields that hold numbers: last four digits only.
TEXT_FIELDS = frozenset({"text", "keyword", "subject", "email", "reference_value"})
NUMBER_FIELDS = frozenset({"from", "to", "from_mask", "copy_to", "mobile"})
# Seven or more digits (optionally after +) is a phone number as far as logs are concerned.
_PHONE = re.compile(r"\+?\d{7,}")


def mask_number(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return f"***{digits[-4:]}" if len(digits) > 4 else "***"


def mask_text(value: str) -> str:
    return _PHONE.sub(lambda match: mask_number(match.group()), value)


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
