"""DynamoDB's item-size rule (names + values, in bytes) and the write units it gives, per table and per index."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

INDEX_ENTRY_OVERHEAD = 100  # bytes DynamoDB adds to each index entry


def item_size(item: Mapping[str, Any]) -> int:
    """Size of an item in DynamoDB's typed form (`{"S": ...}`)."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: Mapping[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "B":
        return len(data)
    if kind == "N":
        return (len(data.lstrip("-").replace(".", "").lstrip("0")) + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in data)
    if kind == "M":
        return 3 + sum(1 + len(key.encode()) + value_size(element) for key, element in data.items())
    if kind == "SS":
        return sum(len(element.encode()) for element in data)
    return len(str(data))


def write_units(size: int) -> int:
    """1 WRU per started KB."""
    return max(1, math.ceil(size / 1024))


def index_entry(item: Mapping[str, Any], index_keys: Iterable[str], projected: Iterable[str]) -> dict[str, Any] | None:
    """What an index holds for `item` (table keys, its own keys, projected attributes); None if sparse-skipped."""
    keys = list(index_keys)
    if not all(name in item for name in keys):
        return None
    names = ["pk", "sk", *keys, *projected]
    return {name: item[name] for name in dict.fromkeys(names) if name in item}
