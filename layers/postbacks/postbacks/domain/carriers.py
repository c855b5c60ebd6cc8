"""Carrier names by SPID (operator id), from the vendor's own tables (data/carriers.csv names its sources).

A SPID the table lists for two countries or carriers: the names are joined with " / " in the table's
order (0007000, Kazakstan and Russia, is "All Carriers" either way), so no country is guessed at.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import cache
from importlib import resources


def operator_name(spid: str | None) -> str | None:
    if not spid:
        return None
    return _names().get(spid.strip())


@cache  # read once, on the first postback that needs it: most carry their operator name or no SPID
def _names() -> dict[str, str]:
    text = resources.files("postbacks.domain").joinpath("data/carriers.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return names_by_spid((row["spid"], row["carrier"]) for row in rows)


def names_by_spid(rows: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each SPID's carrier names, distinct, joined in the order they are listed."""
    names: dict[str, list[str]] = {}
    for spid, carrier in rows:
        listed = names.setdefault(spid, [])
        if carrier not in listed:
            listed.append(carrier)
    return {spid: " / ".join(listed) for spid, listed in names.items()}
