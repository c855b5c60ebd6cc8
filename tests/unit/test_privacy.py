"""Phone numbers and message text never reach a log line in clear."""

from __future__ import annotations

import json
import logging

import pytest

from postbacks.domain.privacy import mask, mask_text
from postbacks.service.observability import make_logger


def test_numbers_keep_only_their_last_four_digits() -> None:
    assert mask({"to": "16503333058", "from": "60856", "copy_to": ["14155550100"]}) == {
        "to": "***3058",
        "from": "***0856",
        "copy_to": ["***0100"],
    }


def test_message_text_is_masked_whole() -> None:
    assert mask({"text": "call me on 555 0100", "keyword": "STOP", "subject": "hi"}) == {
        "text": "[masked]",
        "keyword": "[masked]",
        "subject": "[masked]",
    }


def test_phone_numbers_inside_free_text_are_masked() -> None:
    assert mask("retry for +16503333058 failed") == "retry for ***3058 failed"


def test_logger_masks_extra_fields(capsys: pytest.CaptureFixture[str]) -> None:
    logger = make_logger()
    logger.setLevel(logging.INFO)
    logger.info("received from 16503333058", extra={"to": "12399471613", "text": "secret words"})
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "16503333058" not in json.dumps(line)
    assert (line["message"], line["to"], line["text"]) == ("received from ***3058", "***1613", "[masked]")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("16501112222", "***2222"),
        ("to=+1 6501112222 from 86717", "to=***2222 from 86717"),
        ("1234567", "***4567"),
        ("123456", "123456"),
        ("a 2012-06-07T12:27:34Z b", "a 2012-06-07T12:27:34Z b"),
    ],
)
def test_runs_of_seven_or_more_digits_keep_only_their_last_four(text: str, masked: str) -> None:
    assert mask_text(text) == masked
