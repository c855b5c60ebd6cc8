"""The moment an outbound fetch must be over by, and the timeout each blocking step may still use."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from postbacks.outbound.outcomes import DeadlineExceeded


@dataclass(frozen=True, slots=True)
class Deadline:
    at: float  # on `clock`'s scale (monotonic seconds by default)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(clock() + seconds, clock)

    def remaining(self) -> float:
        return self.at - self.clock()

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0

    def check(self) -> None:
        """Raises once the deadline has passed: for a step that has no timeout to shorten."""
        self.timeout(float("inf"))

    def timeout(self, step_timeout: float) -> float:
        """`step_timeout`, shortened so the step ends by the deadline; raises once it has passed."""
        left = self.remaining()
        if left <= 0:
            raise DeadlineExceeded(f"deadline passed {-left:.1f} s ago")
        return min(step_timeout, left)
