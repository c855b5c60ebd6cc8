"""The one escaper (`output.visible`), the guard on every human-readable command, and tables that fit their data."""

from __future__ import annotations

import io
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from postbacks_cli import output, tail
from postbacks_cli.dlq import DeadJob
from postbacks_cli.replay import Replayed, Result

UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Cn"}
anything = st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.text(
    alphabet=st.characters(categories=("Cc", "Cf", "Zl", "Zp")), max_size=20
)


def unsafe(text: str, allowed: str = "") -> set[str]:
    return {char for char in text if char not in allowed and unicodedata.category(char) in UNSAFE_CATEGORIES}


@given(anything)
def test_visible_leaves_no_character_that_acts_on_a_terminal(text: str) -> None:
    shown = output.visible(text)
    assert unsafe(shown) == set()
    assert "\n" not in shown


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Zl", "Zp", "Cs", "Cn"))))
def test_visible_leaves_printable_text_alone(text: str) -> None:
    assert output.visible(text) == text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("\x9b31m", "\\x9b31m"),
        ("a\r\nb\tc", "a\\r\\nb\\tc"),
        ("\x7f", "\\x7f"),
        ("\u202egnp.exe", "\\u202egnp.exe"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),
        ("\U000e0041", "\\U000e0041"),
        ("café 漢字 😀", "café 漢字 😀"),
    ],
)
def test_each_unsafe_character_is_shown_by_its_code(raw: str, shown: str) -> None:
    assert output.visible(raw) == shown


@given(anything)
def test_the_guard_lets_only_the_clis_own_newlines_and_tabs_through(text: str) -> None:
    terminal = io.StringIO()
    saved = sys.stdout
    sys.stdout = terminal
    try:
        with output.guarded():
            print(text)
    finally:
        sys.stdout = saved
    assert unsafe(terminal.getvalue(), allowed="\n\t") == set()


def test_json_output_is_left_exact_by_the_guard(capsys: pytest.CaptureFixture[str]) -> None:
    with output.guarded(stdout=False):
        output.json_line({"detail": "\u202e\x85"})
        output.error("bad \x1b[2J")
    captured = capsys.readouterr()
    assert captured.out == '{"detail": "\u202e\x85"}\n'
    assert captured.err == "postbacks: bad \\x1b[2J\n"


@given(st.lists(st.tuples(anything, anything, anything), max_size=6))
def test_a_table_has_one_line_per_row_and_no_unsafe_character(rows: list[tuple[str, str, str]]) -> None:
    stream = io.StringIO()
    output.table(("A", "B", "C"), rows, stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 + len(rows)
    assert unsafe(stream.getvalue(), allowed="\n") == set()


def columns_of(line: str, starts: list[int]) -> list[str]:
    return [line[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=True)]


def test_columns_are_as_wide_as_what_they_hold() -> None:
    stream = io.StringIO()
    rows = [
        ("2012-06-07T12:27:34.000000Z", "encoding_failed", "E003"),
        ("2012-06-07T12:27:35.000000Z", "delivered", "N102"),
    ]
    output.table(("EVENT AT", "STATUS", "CODE"), rows, stream)
    header, *lines = stream.getvalue().splitlines()
    starts = [header.index(name) for name in ("EVENT AT", "STATUS", "CODE")]
    assert [columns_of(line, starts) for line in lines] == [list(row) for row in rows]
    # Two spaces between a column's widest value and the next column.
    assert starts[1] == len(rows[0][0]) + 2


@given(st.lists(st.tuples(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30)), min_size=1, max_size=8))
def test_no_value_runs_into_its_neighbour_in_a_streamed_table(rows: list[tuple[str, str]]) -> None:
    stream = io.StringIO()
    with output.StreamingTable(("FIRST", "SECOND"), stream, block=3) as table:
        for row in rows:
            table.row(row)
    _, *lines = stream.getvalue().splitlines()
    assert len(lines) == len(rows)
    for (first, _), line in zip(rows, lines, strict=True):
        shown = output.visible(first)
        # The first value, then at least two spaces: the second column never starts inside the first.
        assert line.startswith(shown)
        rest = line[len(shown) :]
        assert rest == "" or rest.startswith("  ")


def test_a_wide_character_counts_as_two_cells() -> None:
    stream = io.StringIO()
    output.table(("NAME", "N"), [("漢字", 1), ("ab", 2)], stream)
    lines = stream.getvalue().splitlines()
    assert {cell_len(line[: line.rindex(" ") + 1]) for line in lines} == {6}


HOSTILE = "\x1b[2J\u202e\r\nFORGED"


def test_a_tail_line_shows_hostile_fields_on_one_line() -> None:
    event = {
        "time": HOSTILE,
        "detail-type": HOSTILE,
        "detail": {
            "message_key": HOSTILE,
            "postback": {"code": HOSTILE, "status": HOSTILE, "to": HOSTILE, "from": "16501112222"},
            "message": {"status": HOSTILE},
        },
    }
    printed = tail.line(event)
    assert unsafe(printed) == set()
    assert "\n" not in printed
    assert "16501112222" not in printed


def test_a_replay_line_and_a_dead_job_show_hostile_text_on_their_own_lines(capsys: pytest.CaptureFixture[str]) -> None:
    replayed = Replayed(HOSTILE, Result.STILL_REJECTED, reason="malformed_json", detail=HOSTILE)
    assert "\n" not in replayed.line()
    assert unsafe(replayed.line()) == set()
    job = DeadJob("m", "t", 6, "unreadable", HOSTILE, HOSTILE, HOSTILE)
    output.line("   body:", job.excerpt)
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1
    assert unsafe(printed, allowed="\n") == set()


@given(st.dictionaries(st.sampled_from(("code", "status", "to", "from", "mobile")), anything), anything, anything)
def test_a_tail_line_of_any_event_stays_one_safe_line(postback: dict[str, str], key: str, uri: str) -> None:
    received = {"time": key, "detail-type": "Postback Received", "detail": {"message_key": key, "postback": postback}}
    archived = {"time": uri, "detail-type": uri, "detail": {"message_key": key, "s3_uri": uri, "content_type": uri}}
    for event in (received, archived):
        printed = tail.line(event)
        assert "\n" not in printed
        assert unsafe(printed) == set()


@given(anything, anything, anything)
def test_a_replay_line_stays_one_safe_line(key: str, reason: str, detail: str) -> None:
    for result in Result:
        printed = Replayed(key, result, reason=reason, detail=detail).line()
        assert "\n" not in printed
        assert unsafe(printed) == set()
