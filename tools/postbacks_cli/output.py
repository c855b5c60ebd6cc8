"""What the commands print: exit codes, tables, JSON lines, and progress on stderr.

Whatever a sender wrote reaches a person's terminal only through `visible`: control characters (C0, DEL,
C1), line and paragraph separators and Unicode format characters (bidi overrides and isolates, zero-width
characters) are shown as `\\x1b`, `\\u202e`... instead of acting on the terminal. `guarded` applies it to
everything a human-readable command prints; tables and lines apply it to each value, newlines and tabs too.
"""

from __future__ import annotations

import io
import json
import sys
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import IntEnum
from typing import Any, TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table


class Exit(IntEnum):
    OK = 0
    FAILED = 1  # some items failed (a body still rejected, a message not moved, a non-2xx answer)
    USAGE = 2  # bad arguments, or no usable target
    NOT_FOUND = 3


def json_line(document: Any, stream: TextIO | None = None) -> None:
    print(json.dumps(document, ensure_ascii=False, default=str), file=stream or sys.stdout)


# Categories that act on a terminal or hide text rather than show it: controls, format characters (bidi,
# zero-width), line/paragraph separators, lone surrogates, and unassigned code points (tomorrow's controls).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Cn"})


def visible(value: Any, keep: str = "") -> str:
    """`value` as text a terminal shows and does not obey: every unsafe character escaped, except those in `keep`."""
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():
        return text
    return "".join(_escaped(char) if char not in keep and _unsafe(char) else char for char in text)


def _unsafe(char: str) -> bool:
    return not (" " <= char <= "~") and unicodedata.category(char) in _UNSAFE_CATEGORIES


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    point = ord(char)
    if point < 0x100:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


class _Guarded:
    """A text stream that shows unsafe characters instead of writing them; the CLI's own newlines and tabs pass."""

    def __init__(self, stream: TextIO) -> None:
        self.unguarded = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unguarded, name)

    def write(self, text: str) -> int:
        self.unguarded.write(visible(text, keep="\n\t"))
        return len(text)

    def flush(self) -> None:
        self.unguarded.flush()

    def isatty(self) -> bool:
        return _is_tty(self.unguarded)

    def fileno(self) -> int:
        return self.unguarded.fileno()

    @property
    def buffer(self) -> Any:
        # `show --raw` writes the stored bytes, exactly, past the guard: it is asked for by name.
        return self.unguarded.buffer


@contextmanager
def guarded(stdout: bool = True) -> Iterator[None]:
    """Everything printed inside goes through `visible` (stdout only when `stdout`: JSON is exact already)."""
    saved = sys.stdout, sys.stderr
    if stdout:
        sys.stdout = _Guarded(sys.stdout)
    sys.stderr = _Guarded(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def unguarded(stream: TextIO) -> TextIO:
    """The stream under a guard: for the CLI's own terminal controls (the progress line), never for data."""
    inner: TextIO = getattr(stream, "unguarded", stream)
    return inner


def line(*parts: Any, sep: str = " ", stream: TextIO | None = None) -> None:
    """One output line made of `parts`, each shown with `visible`: a value cannot start a line of its own."""
    print(sep.join(visible(part) for part in parts), file=stream or sys.stdout, flush=True)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], stream: TextIO | None = None) -> None:
    """Columns as wide as their widest cell; for output small enough to hold in memory."""
    columns = StreamingTable(headers, stream, block=0)
    for row in rows:
        columns.row(row)
    columns.flush()


class StreamingTable:
    """A table printed in blocks of rows, each column as wide as the widest value seen so far.

    A listing too long to hold is printed as it comes; a column only ever widens, so a long value moves its
    neighbours right from its block on instead of running into them. `block=0` holds every row to the end.
    """

    BLOCK = 50

    def __init__(self, headers: Sequence[str], stream: TextIO | None = None, block: int = BLOCK) -> None:
        self._headers = [visible(header) for header in headers]
        self._widths = [cell_len(header) for header in self._headers]
        self._stream = stream
        self._block = block
        self._rows: list[list[str]] = []
        self._started = False

    def row(self, values: Sequence[Any]) -> None:
        cells = [visible(value) for value in values]
        if len(cells) != len(self._headers):
            raise ValueError(f"{len(cells)} values for {len(self._headers)} columns")
        self._rows.append(cells)
        if self._block and len(self._rows) >= self._block:
            self.flush()

    def flush(self) -> None:
        """Print the rows held (and the header, the first time)."""
        if not self._rows and self._started:
            return
        self._widths = [max([width, *(cell_len(row[i]) for row in self._rows)]) for i, width in enumerate(self._widths)]
        grid = Table(box=None, show_header=not self._started, pad_edge=False, padding=(0, 2, 0, 0), expand=False)
        for header, width in zip(self._headers, self._widths, strict=True):
            grid.add_column(header, min_width=width, no_wrap=True, overflow="ignore", header_style="")
        for cells in self._rows:
            grid.add_row(*cells)
        console = Console(
            file=io.StringIO(),
            width=sum(self._widths) + 2 * len(self._widths) + 1,
            color_system=None,
            markup=False,
            emoji=False,
            highlight=False,
            legacy_windows=False,
            soft_wrap=False,
        )
        console.print(grid)
        out = self._stream or sys.stdout
        for text in console.file.getvalue().splitlines():  # type: ignore[attr-defined]
            print(text.rstrip(), file=out)
        out.flush()
        self._rows = []
        self._started = True

    def close(self) -> None:
        if self._rows:
            self.flush()

    def __enter__(self) -> StreamingTable:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


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
            terminal = unguarded(self._stream)
            terminal.write("\r\x1b[K")
            terminal.flush()
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
        terminal = unguarded(self._stream)
        terminal.write("\r\x1b[K" + visible(self.render()))
        terminal.flush()
        self._drawn = True


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def error(message: str) -> None:
    print(f"postbacks: {visible(message)}", file=sys.stderr)
