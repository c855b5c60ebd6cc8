"""Every log line and metric document the suite produces is checked: no fixture's phone number or message text
in clear, and no metric dimension outside its known, finite set.

Tests run with pytest's output capture on; after each phase, the Powertools log lines (`level` and `service`)
and EMF documents (`_aws`) in what it captured are read, and a test that made a leaky one fails. Output a
test reads itself (capsys) is that test's to check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from postbacks.domain.codes import CODES, UNRECOGNISED
from postbacks.domain.errors import Reason
from postbacks.domain.privacy import NUMBER_FIELDS, TEXT_FIELDS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Powertools' own keys: times and request ids, full of digits that are no phone numbers.
_TRUSTED = frozenset({"timestamp", "function_request_id", "xray_trace_id", "function_arn", "correlation_id"})
DIMENSIONS: dict[str, frozenset[str] | None] = {
    "code": frozenset({*CODES, UNRECOGNISED.status.value}),
    "reason": frozenset(reason.value for reason in Reason),
    "service": None,  # POWERTOOLS_SERVICE_NAME: the template's, one per function
}
_SHORTEST_TEXT = 8  # shorter texts ("STOP", "hi") are common words, no evidence of a leak
_JOINED = re.compile(r"(?<=\d)[ .()+-]+(?=\d)")


@cache
def personal_data() -> tuple[frozenset[str], frozenset[str]]:
    """The phone numbers (their last ten digits) and message texts in the fixtures."""
    from tests.helpers import canonical, content_type_of

    numbers: set[str] = set()
    texts: set[str] = set()
    for path in FIXTURES.rglob("*"):
        if not path.is_file() or path.suffix not in (".xml", ".json", ".txt"):
            continue
        try:
            postbacks = canonical(path.read_bytes(), content_type_of(path))
        except Exception:  # refused fixtures hold no stored personal data
            continue
        for postback in postbacks:
            for name, value in postback.items():
                for item in value if isinstance(value, list) else [value]:
                    digits = re.sub(r"\D", "", str(item))
                    if name in NUMBER_FIELDS and len(digits) >= 7:
                        numbers.add(digits[-10:])
                    if name in TEXT_FIELDS and len(str(item)) >= _SHORTEST_TEXT:
                        texts.add(str(item))
    return frozenset(numbers), frozenset(texts)


def _strings(value: Any, key: str = "") -> Iterator[str]:
    if key in _TRUSTED:
        return
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(item, str(name))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)
    elif isinstance(value, str):
        yield value


def _dimension_problems(document: dict[str, Any]) -> list[str]:
    problems = []
    for directive in document["_aws"].get("CloudWatchMetrics", []):
        for names in directive.get("Dimensions", []):
            for name in names:
                allowed = DIMENSIONS.get(name, frozenset())
                if allowed is not None and document.get(name) not in allowed:
                    problems.append(f"metric dimension {name}={document.get(name)!r} is outside its known set")
    return problems


def leaks(captured: str) -> list[str]:
    """What is wrong with the log lines and metric documents in `captured`."""
    numbers, texts = personal_data()
    problems: list[str] = []
    for line in captured.splitlines():
        if not line.startswith("{"):
            continue
        try:
            document = json.loads(line)
        except ValueError:
            continue
        is_metrics = isinstance(document, dict) and "_aws" in document
        if not (is_metrics or (isinstance(document, dict) and "level" in document and "service" in document)):
            continue
        if is_metrics:
            problems += _dimension_problems(document)
        for text in _strings(document):
            runs = re.findall(r"\d{7,}", _JOINED.sub("", text))
            problems += [f"phone number {n} in clear: {line}" for n in numbers if any(n in run for run in runs)]
            problems += [f"message text {t!r} in clear: {line}" for t in texts if t in text]
    return problems


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if not report.passed:
        return
    problems = leaks(report.capstdout + "\n" + report.capstderr)
    if problems:
        report.outcome = "failed"
        report.longrepr = "logs or metrics leak personal data or unbounded dimensions:\n" + "\n".join(problems[:10])
