"""SQS's hard limits are checked before the call: ten messages and 1 MiB per batch, 1 MiB per message."""

from __future__ import annotations

from typing import Any

import pytest

from postbacks.storage.queue import MAX_BATCH_BYTES, _batches
from postbacks.storage.store import StorageRefused


def test_batches_hold_at_most_ten_bodies() -> None:
    assert [len(batch) for batch in _batches(["x"] * 23)] == [10, 10, 3]


def test_a_batch_is_closed_before_its_bodies_pass_the_size_limit() -> None:
    big = "x" * (MAX_BATCH_BYTES // 3)
    batches = _batches([big] * 4)
    assert [len(batch) for batch in batches] == [3, 1]
    assert all(sum(len(body) for body in batch) <= MAX_BATCH_BYTES for batch in batches)


def test_sizes_are_counted_in_utf8_bytes() -> None:
    wide = "é" * (MAX_BATCH_BYTES // 4)  # two bytes each: half the limit per body
    assert [len(batch) for batch in _batches([wide] * 3)] == [2, 1]


def test_a_body_over_the_message_limit_is_refused_not_retried() -> None:
    with pytest.raises(StorageRefused, match="over SQS"):
        _batches(["x", "x" * (MAX_BATCH_BYTES + 1)])


def test_order_is_kept_across_batches() -> None:
    bodies: list[Any] = [str(n) for n in range(25)]
    assert [body for batch in _batches(bodies) for body in batch] == bodies
