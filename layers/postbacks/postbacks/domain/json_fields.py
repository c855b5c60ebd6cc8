"""A JSON object (or a flat form) to its fields, every scalar kept as its JSON text.

Objects are read as lists of pairs, so a duplicate key is kept rather than overwritten; numbers keep
their text, so `1e400` stays `1e400` and `1.10` stays `1.10`; `true` is `true`, `null` is `null`.
Walks are iterative.
"""

from __future__ import annotations

import json
from typing import Any

from postbacks.domain.fields import ITEM_KEYS, LIST_FIELDS, MAX_PATH, Collector, field_for, fold


class Pairs(list[tuple[str, Any]]):
    """A JSON object as sent: every key, duplicates too, in order."""


class Number(str):
    """A JSON number (or NaN / Infinity) as its text."""

    __slots__ = ()


_DECODER = json.JSONDecoder(object_pairs_hook=Pairs, parse_float=Number, parse_int=Number, parse_constant=Number)


def load(data: bytes) -> Any:
    """Raises ValueError (malformed), UnicodeDecodeError or RecursionError, as json.loads does."""
    # As json.loads reads bytes (UTF-8, -16 or -32), with one decoder built once.
    return _DECODER.decode(data.decode(json.detect_encoding(data), "surrogatepass"))


def describe(document: Any) -> str:
    if isinstance(document, Number):
        return "a number"
    if isinstance(document, str):
        return "a string"
    if isinstance(document, list):
        return "an array"
    return "null" if document is None else "a boolean"


def object_fields(document: Pairs, collector: Collector) -> dict[str, Any]:
    for raw_key, value in document:
        key = str(raw_key)
        name = field_for(key)
        text = scalar_text(value)
        if value is None:
            collector.keep(key, "null")  # a null names no value: kept as sent, no field set
        elif text is not None:
            collector.value(key, key, text)
        elif name in LIST_FIELDS:
            _list(collector, name, key, value if type(value) is list else [value])
        else:
            walk(collector, value, key)
    return collector.result()


def pairs_fields(pairs: tuple[tuple[str, str], ...], collector: Collector) -> dict[str, Any]:
    """A flat form (`code=N202&tracking-id=...`): each field as a JSON string would be."""
    return object_fields(Pairs(pairs), collector)


def scalar_text(value: Any) -> str | None:
    """A JSON scalar as its JSON text (strings as they are); None for an object or array."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return None


def walk(collector: Collector, value: Any, path: str) -> None:
    """Every scalar at and below `value` into extra: `key.sub`, `key[0]`."""
    stack = [(value, path[:MAX_PATH])]
    while stack:
        node, here = stack.pop()
        if isinstance(node, Pairs):
            stack.extend((item, f"{here}.{key}"[:MAX_PATH]) for key, item in reversed(node))
        elif isinstance(node, list):
            stack.extend((item, f"{here}[{index}]"[:MAX_PATH]) for index, item in reversed(list(enumerate(node))))
        else:
            collector.keep(here, scalar_text(node) or "")


def _list(collector: Collector, name: str, key: str, items: list[Any]) -> None:
    """`content: [{"file": url}, ...]`, `copy-to: [{"number": ...}]` or a list of strings."""
    for index, item in enumerate(items):
        path = f"{key}[{index}]"
        text = scalar_text(item)
        if item is None:
            collector.keep(path, "null")
        elif text is not None:
            collector.item(name, text)
        elif isinstance(item, Pairs):
            _item(collector, name, path, item)
        else:
            walk(collector, item, path)


def _item(collector: Collector, name: str, path: str, item: Pairs) -> None:
    chosen = next(
        (
            position
            for wanted in ITEM_KEYS
            for position, (key, value) in enumerate(item)
            if fold(str(key)) == wanted and isinstance(value, str) and value.strip()
        ),
        None,
    )
    for position, (key, value) in enumerate(item):
        if position == chosen:
            collector.item(name, value)
        else:
            walk(collector, value, f"{path}.{key}")
