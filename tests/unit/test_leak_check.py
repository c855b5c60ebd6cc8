"""The suite-wide check of log lines and metric documents (tests/leaks.py) finds what it must."""

from __future__ import annotations

import json

from tests.leaks import leaks, personal_data


def log_line(**fields: object) -> str:
    return json.dumps({"level": "INFO", "location": "x:1", "service": "ingest", **fields})


def emf(**dimensions: str) -> str:
    names = [list(dimensions)]
    directive = {"Namespace": "Postbacks", "Dimensions": names, "Metrics": [{"Name": "PostbacksReceived"}]}
    return json.dumps({"_aws": {"Timestamp": 1, "CloudWatchMetrics": [directive]}, **dimensions})


def test_a_fixture_phone_number_in_clear_is_found_in_any_spelling() -> None:
    numbers, _ = personal_data()
    assert "6501112222" in numbers
    assert leaks(log_line(message="retry for +1 (650) 111-2222"))
    assert leaks(log_line(detail={"to": "16501112222"}))


def test_a_masked_number_and_ids_pass() -> None:
    assert leaks(log_line(message="retry for ***2222", kept_at="s3://b/quarantine/x/2026/12/05/a.xml")) == []


def test_a_fixture_message_text_in_clear_is_found() -> None:
    _, texts = personal_data()
    text = sorted(texts)[0]
    assert leaks(log_line(text=text))


def test_a_metric_dimension_outside_its_set_is_found() -> None:
    assert leaks(emf(service="ingest", code="16501112222"))
    assert leaks(emf(service="ingest", sender="x"))
    assert leaks(emf(service="ingest", code="N101", reason="malformed_xml")) == []


def test_other_output_is_not_read() -> None:
    assert leaks('{"to": "16501112222"}\nplain 16501112222') == []
