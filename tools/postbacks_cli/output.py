"""What the commands print: exit codes, tables, JSON lines, masked phone numbers, and progress on stderr."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import Any, TextIO


class Exit(IntEnum):
    OK = 0
    FAILED = 1  # some items failed (a body still rejected, a message not moved, a non-2xx answer)
    USAGE = 2  # bad arguments, or no usable target
    NOT_FOUND = 3


def json_line(document: Any, stream: TextIO | None = None) -> None:
    print(json.dumps(document, ensure_ascii=False, default=str), file=stream or sys.stdout)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], stream: TextIO | None = None) -> None:
    """Columns as wide as their widest cell; for output small enough to hold in memory."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)]
    out = stream or sys.stdout
    for row in [list(headers), *cells]:
        print("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip(), file=out)


class StreamingTable:
    """Fixed-width columns, printed row by row: for listings too long to hold (the last column is free)."""

    def __init__(self, columns: Sequence[tuple[str, int]], stream: TextIO | None = None) -> None:
        self._columns = columns
        self._stream = stream or sys.stdout
        self._started = False

    def row(self, values: Sequence[Any]) -> None:
        if not self._started:
            self._started = True
            self._print([name for name, _ in self._columns])
        self._print([_cell(value) for value in values])

    def _print(self, values: Sequence[str]) -> None:
        parts = [value.ljust(width) for value, (_, width) in zip(values, self._columns, strict=True)]
        print("  ".join(parts).rstrip(), file=self._stream)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"


class Progress:
    """A one-line bar (or counter, when the total is unknown) on stderr, drawn only when stderr is a terminal.

    Output that is piped or captured never sees it; `clear()` before printing a result line keeps the
    terminal readable when stdout and stderr share it.
    """

    _WIDTH = 30
    _INTERVAL = 0.1  # redraws per second are capped: a fast loop must not spend its time drawing

    def __init__(
        self, label: str, total: int | None = None, stream: TextIO | None = None, *, quiet_until: int = 0
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.note = ""
        self._stream = stream or sys.stderr
        self.enabled = _is_tty(self._stream)
        self._drawn = False
        self._last = 0.0
        # Work that finishes within a few steps is quick: a bar would only flicker.
        self._quiet_until = quiet_until

    def advance(self, count: int = 1, note: str = "") -> None:
        self.done += count
        self.note = note
        now = time.monotonic()
        finished = self.total is not None and self.done >= self.total
        due = finished or now - self._last >= self._INTERVAL
        if self.enabled and self.done >= self._quiet_until and due:
            self._last = now
            self._draw()

    def clear(self) -> None:
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._drawn = False

    def close(self) -> None:
        self.clear()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def render(self) -> str:
        if self.total:
            filled = min(self._WIDTH, self._WIDTH * self.done // self.total)
            bar = "#" * filled + "-" * (self._WIDTH - filled)
            line = f"{self.label} [{bar}] {self.done}/{self.total}"
        else:
            line = f"{self.label}: {self.done}"
        return f"{line} {self.note}".rstrip()

    def _draw(self) -> None:
        self._stream.write("\r\x1b[K" + self.render())
        self._stream.flush()
        self._drawn = True


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def error(message: str) -> None:
    print(f"postbacks: {message}", file=sys.stderr)
