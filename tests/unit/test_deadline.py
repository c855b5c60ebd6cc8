"""The overall deadline of an outbound fetch, on a clock the test moves."""

from __future__ import annotations

import pytest

from postbacks.outbound.deadline import Deadline
from postbacks.outbound.outcomes import DeadlineExceeded, TransientFetchError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_step_gets_its_own_timeout_while_the_deadline_is_far() -> None:
    clock = Clock()
    deadline = Deadline.after(60, clock)

    assert deadline.timeout(10) == 10
    assert not deadline.passed


def test_step_timeout_is_cut_to_what_is_left_of_the_deadline() -> None:
    clock = Clock()
    deadline = Deadline.after(60, clock)
    clock.now += 58

    assert deadline.timeout(10) == pytest.approx(2)


def test_step_after_the_deadline_is_refused_as_a_retryable_outcome() -> None:
    clock = Clock()
    deadline = Deadline.after(60, clock)
    clock.now += 60

    assert deadline.passed
    with pytest.raises(DeadlineExceeded) as raised:
        deadline.timeout(10)
    assert isinstance(raised.value, TransientFetchError)


def test_negative_budget_has_already_passed() -> None:
    deadline = Deadline.after(-1, Clock())

    assert deadline.passed
    with pytest.raises(DeadlineExceeded):
        deadline.check()


def test_check_passes_quietly_before_the_deadline() -> None:
    clock = Clock()
    deadline = Deadline.after(1, clock)
    deadline.check()
    clock.now += 1
    with pytest.raises(DeadlineExceeded):
        deadline.check()
