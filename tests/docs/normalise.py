"""What differs between two runs of the same example, replaced by one fixed value so pages can show it.

Only values a run chooses are replaced: the time of the run (timestamps and dates from 2024 on: the
vendor's examples are dated 2012 to 2021 and stay exact), UUIDs (numbered in order of appearance, so
"the same id twice" still shows), the local stack's ports, URL secret and generated resource names.
Statuses, codes, fingerprints (a hash of the postback, the same every run) and counts stay exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

FIRST_RUN_YEAR = 2024  # the vendor's own examples are older: their times are data, not the run's clock
API_PORT = 3000  # what `make run` listens on by default
MOTO_PORT = 5000  # moto_server's own default; `make run` picks a free one
SECRET = "<secret>"  # as `postbacks send` prints it

_TIME = re.compile(
    r"(?P<year>\d{4})-(?P<date>\d\d-\d\dT\d\d:\d\d)(?P<seconds>:\d\d)?(?P<fraction>\.\d+)?(?P<zone>Z|[+-]\d\d:?\d\d)?"
)
_DATE = re.compile(r"(?<![\d.:-])(?P<year>\d{4})(?P<sep>[-/])\d\d(?P=sep)\d\d(?![\dT:])")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_EPOCH_MS = re.compile(r"(?<!\d)1[7-9]\d{11}(?!\d)")  # a millisecond clock (EMF `Timestamp`) from 2023 on
# CloudFormation-style physical names: <stack>-<logical id>-<12 random characters>.
_PHYSICAL = re.compile(r"\b(?P<stem>postbacks-local-[A-Za-z]+-)(?P<suffix>[A-Za-z0-9]{12})\b")
_TAIL = re.compile(r"\bpostbacks-tail-[0-9a-z]+\b")


def _time(match: re.Match[str]) -> str:
    if int(match["year"]) < FIRST_RUN_YEAR:
        return match[0]
    fraction = match["fraction"] or ""  # all zeros (a clock of whole seconds) stays zeros
    digits = "123456789" * 2
    return (
        "2026-12-01T21:52"
        + (":01" if match["seconds"] else "")
        + (fraction if not fraction.strip(".0") else "." + digits[: len(fraction) - 1])
        + (match["zone"] or "")
    )


def _date(match: re.Match[str]) -> str:
    if int(match["year"]) < FIRST_RUN_YEAR:
        return match[0]
    return match["sep"].join(("2026", "12", "01"))


def _physical(match: re.Match[str]) -> str:
    suffix = match["suffix"]
    return match["stem"] + ("example12345" if suffix.islower() or suffix.isdigit() else "EXAMPLE12345")


def _numbered_uuids() -> Callable[[re.Match[str]], str]:
    seen: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        if match[0] not in seen:
            number = len(seen) + 1
            seen[match[0]] = f"{number:08x}-0000-4000-8000-{number:012x}"
        return seen[match[0]]

    return replace


def content(text: str) -> str:
    """The rules that need nothing but the text: applied to a page and to a run alike."""
    text = _TIME.sub(_time, text)
    text = _DATE.sub(_date, text)
    text = _EPOCH_MS.sub("1796161921000", text)
    text = _PHYSICAL.sub(_physical, text)
    text = _TAIL.sub("postbacks-tail-example", text)
    return _UUID.sub(_numbered_uuids(), text)


@dataclass(frozen=True)
class RunValues:
    """The values one local stack chose: its ports and its URL secret."""

    api_port: int
    moto_port: int
    secret: str

    def normalise(self, text: str) -> str:
        text = text.replace(self.secret, SECRET)
        for host in ("127.0.0.1", "localhost"):
            text = text.replace(f"{host}:{self.api_port}", f"{host}:{API_PORT}")
            text = text.replace(f"{host}:{self.moto_port}", f"{host}:{MOTO_PORT}")
        return content(text)
