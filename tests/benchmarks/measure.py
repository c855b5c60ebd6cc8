"""What every benchmark shares: medians, interleaved timing, one-core pinning, the seed examples, figures."""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"  # this module stays standard-library only: probe.py imports it
LAYER = ROOT / "layers" / "postbacks"
# Long enough that timer resolution and one scheduler tick stay below 1% of a measurement.
MIN_BATCH_SECONDS = 0.02


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> str:
    """`min-max` of a sample, so a reader sees how noisy the median is."""
    return f"{min(values):.3g}-{max(values):.3g}"


def batch_size(call: Callable[[], object], min_seconds: float = MIN_BATCH_SECONDS) -> int:
    """How many calls make one timed batch of at least `min_seconds` (doubling, as timeit's autorange)."""
    number = 1
    while True:
        started = time.perf_counter()
        for _ in range(number):
            call()
        if time.perf_counter() - started >= min_seconds:
            return number
        number *= 2


def interleaved(calls: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each callable, timed in alternation so machine noise hits all of them alike."""
    numbers = {name: batch_size(call) for name, call in calls.items()}
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            number = numbers[name]
            started = time.perf_counter()
            for _ in range(number):
                call()
            samples[name].append((time.perf_counter() - started) / number)
    return samples


@contextlib.contextmanager
def one_core() -> Iterator[int | None]:
    """Pin this process to one CPU (the last one) for a single-core figure; a no-op where unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        yield None
        return
    before = os.sched_getaffinity(0)
    core = max(before)
    os.sched_setaffinity(0, {core})
    try:
        yield core
    finally:
        os.sched_setaffinity(0, before)


@dataclass(frozen=True)
class Seed:
    name: str
    raw: bytes
    content_type: str

    @property
    def syntax(self) -> str:
        return "json" if self.name.endswith(".json") else "xml"


def well_formed_seeds() -> list[Seed]:
    """The vendor's examples that the receiver accepts (the broken ones are the reliability suite's)."""
    from tests.helpers import WELL_FORMED_SEEDS, content_type_of

    return [Seed(path.name, path.read_bytes(), content_type_of(path)) for path in WELL_FORMED_SEEDS]


def bundle(count: int) -> bytes:
    """A `<POSTBACK>` of `count` SMS MO notifications: the vendor's bundle example, its quotes repaired."""
    example = (SEEDS / "004_sms_mo_bundle_typographic_quotes.xml").read_text()
    example = example.replace("\u201d", '"').replace("\u2033", '"')
    head, _, rest = example.partition("<NOTIFICATION")
    notification, _, tail = rest.partition("</NOTIFICATION>")
    items = [
        ("<NOTIFICATION" + notification + "</NOTIFICATION>")
        .replace('id="264"', f'id="{264 + index}"')
        .replace("15552312102", f"1555231{index:04d}")
        for index in range(count)
    ]
    return (head + "\n".join(items) + tail).encode()


@dataclass(frozen=True)
class Figure:
    """One row of the summary: a measured value beside its budget."""

    measure: str
    value: str
    budget: str = "-"
    met: bool | None = None  # None: no budget, reported for information

    @property
    def verdict(self) -> str:
        return {True: "met", False: "NOT MET", None: ""}[self.met]


@dataclass
class Section:
    """One benchmark's summary rows and the detail it adds to docs/performance.md."""

    title: str
    figures: list[Figure]
    detail: str


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)
