"""What `postbacks tail` prints of an event, and which events --code and --number keep."""

from __future__ import annotations

from typing import Any

import pytest

from postbacks_cli.tail import line, wanted

RECEIVED: dict[str, Any] = {
    "time": "2026-12-01T21:52:01Z",
    "detail-type": "Postback Received",
    "detail": {
        "message_key": "TU1TXzU5Nzg3Nw==",
        "postback": {"code": "E102", "status": "failed", "to": "16501112222", "from": "60856"},
        "message": {"status": "failed", "final": True},
    },
}
ARCHIVED: dict[str, Any] = {
    "time": "2026-12-01T21:53:10Z",
    "detail-type": "Media Archived",
    "detail": {"message_key": "MO1", "index": 0, "s3_uri": "s3://b/media/MO1/e/000", "size": 2048},
}


def test_postback_line_masks_numbers_and_says_the_message_status() -> None:
    printed = line(RECEIVED)
    assert "16501112222" not in printed
    assert "to ***2222" in printed
    assert "E102 failed" in printed
    assert printed.endswith("-> message failed (final)")


def test_media_line_gives_the_file_and_its_uri() -> None:
    printed = line(ARCHIVED)
    assert "Media Archived" in printed
    assert "file 0" in printed
    assert "s3://b/media/MO1/e/000" in printed


@pytest.mark.parametrize(
    ("code", "number", "kept"),
    [
        (None, None, True),
        ("e102", None, True),
        ("N101", None, False),
        (None, "+1 (650) 111-2222", True),
        (None, "60856", True),
        (None, "16509999999", False),
        ("E102", "16509999999", False),
    ],
)
def test_code_and_number_filters(code: str | None, number: str | None, kept: bool) -> None:
    assert wanted(RECEIVED, code, number) is kept


def test_number_filter_drops_media_events() -> None:
    assert not wanted(ARCHIVED, None, "16501112222")
    assert wanted(ARCHIVED, None, None)


def test_the_outputs_tail_reads_are_the_templates() -> None:
    from postbacks_cli.targets import OUTPUTS
    from postbacks_local.stack_resources import DEFAULT_TEMPLATE
    from postbacks_local.template import load_template

    outputs = load_template(DEFAULT_TEMPLATE)["Outputs"]
    for name in ("EventBusName", "EventSource"):
        assert name in OUTPUTS
        assert outputs[name]["Condition"] == "PublishesEvents"
