"""Which messages a ReportBatchItemFailures answer leaves on the queue, by Lambda's rules."""

from __future__ import annotations

from typing import Any

import pytest

from postbacks_local.lambda_events import failed_message_ids


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, {"a", "b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
    ],
)
def test_partial_batch_response_follows_lambda_rules(result: Any, expected: set[str]) -> None:
    assert failed_message_ids(result, ["a", "b"]) == expected
