"""The CLI's pure parts: masking, time bounds, the progress line, the dead-letter job description."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from postbacks_cli import dlq, when
from postbacks_cli.output import Progress

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "bound"),
    [
        ("24h", "2026-11-21T12:00:00.000000Z"),
        ("7d", "2026-11-15T12:00:00.000000Z"),
        ("30m", "2026-11-22T11:30:00.000000Z"),
        ("2w", "2026-11-08T12:00:00.000000Z"),
        ("2026-11-21", "2026-11-21T00:00:00.000000Z"),
        ("2026-11-21T09:00:00Z", "2026-11-21T09:00:00.000000Z"),
        ("2026-11-21T09:00:00+02:00", "2026-11-21T07:00:00.000000Z"),
        ("2026-11-21 09:00", "2026-11-21T09:00:00.000000Z"),
        ("now", "2026-11-22T12:00:00.000000Z"),
    ],
)
def test_time_bounds_become_the_stored_utc_text(text: str, bound: str) -> None:
    assert when.instant(text, now=NOW) == bound


def test_a_bare_date_as_an_upper_bound_is_the_end_of_that_day() -> None:
    assert when.instant("2026-11-21", end_of_day=True, now=NOW) == "2026-11-21T23:59:59.999999Z"


def test_an_unreadable_time_says_which_forms_work() -> None:
    with pytest.raises(ValueError, match="24h, 7d"):
        when.instant("yesterday", now=NOW)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_a_bar_on_a_terminal_and_clears_it() -> None:
    stream = _Terminal()
    with Progress("replay", total=4, stream=stream) as progress:
        progress.advance(4)
        assert progress.render() == "replay [" + "#" * 30 + "] 4/4"

    assert "4/4" in stream.getvalue()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_is_silent_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()
    with Progress("redrive", total=3, stream=stream) as progress:
        progress.advance(3)

    assert stream.getvalue() == ""


def test_progress_stays_quiet_for_the_first_steps() -> None:
    stream = _Terminal()
    progress = Progress("reading pages", stream=stream, quiet_until=2)

    progress.advance()
    assert stream.getvalue() == ""
    progress.advance()
    assert "reading pages: 2" in stream.getvalue()


def test_a_dead_fetch_job_names_its_message_file_and_host() -> None:
    message = {
        "MessageId": "m-1",
        "Body": '{"job":"fetch","message_key":"MMS_MO_1","event_id":"e1","index":2,"url":"https://cdn.example.com/x/16501112222.jpg"}',
        "Attributes": {"SentTimestamp": "1795305600000", "ApproximateReceiveCount": "6"},
    }

    job = dlq.describe(message)  # type: ignore[arg-type]

    assert (job.job, job.message_key, job.receive_count) == ("fetch", "MMS_MO_1 #2", 6)
    assert "cdn.example.com" in job.why
    assert job.sent_at == "2026-11-22T00:00:00.000000Z"
    assert "16501112222" not in job.excerpt
