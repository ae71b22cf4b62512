"""Pure time budgeting for one call: how long an attempt, a permit wait or a retry delay may take.

A `CallBudget` is made when a call starts and asked before each step; it reads no clock (the
engine passes its monotonic `now`). The engine's I/O shell enforces the answers with cancel scopes.
"""

from __future__ import annotations

import math

import attrs

__all__ = ["CallBudget", "StepBudget"]


@attrs.frozen
class StepBudget:
    """Seconds one step may take (`math.inf`: unbounded) and the name of the limit that binds."""

    seconds: float
    limit: str

    @property
    def bounded(self) -> bool:
        """Whether any limit applies at all."""
        return math.isfinite(self.seconds)

    @property
    def exhausted(self) -> bool:
        """Whether no time is left for the step."""
        return self.seconds <= 0.0


@attrs.frozen
class CallBudget:
    """The deadline of one call (monotonic seconds, `None`: none) and its per-attempt bound."""

    started: float
    deadline: float | None
    attempt_timeout: float | None

    @classmethod
    def start(
        cls, now: float, *, deadline: float | None, attempt_timeout: float | None
    ) -> CallBudget:
        """A budget opening at `now` (monotonic seconds)."""
        return cls(now, deadline, attempt_timeout)

    def remaining(self, now: float) -> float:
        """Seconds left before the deadline (`math.inf` without one; never negative)."""
        if self.deadline is None:
            return math.inf
        return max(0.0, self.started + self.deadline - now)

    def for_attempt(self, now: float) -> StepBudget:
        """What one attempt may take: the attempt timeout or the rest of the deadline."""
        left = self.remaining(now)
        own = self.attempt_timeout if self.attempt_timeout is not None else math.inf
        if left < own:
            return StepBudget(left, "deadline")
        return StepBudget(own, "attempt_timeout")

    def for_permit(self, now: float, *, covers_throttle: bool) -> StepBudget:
        """What waiting for a permit may take (unbounded unless the deadline covers it)."""
        if not covers_throttle:
            return _UNBOUNDED
        if self.deadline is None:
            return _NO_DEADLINE  # the common case, asked once per attempt: no new object
        return StepBudget(self.remaining(now), "deadline")

    def allows_delay(self, delay: float, now: float) -> bool:
        """Whether sleeping `delay` seconds still leaves time for another attempt."""
        return delay < self.remaining(now)

    def describe(self) -> str:
        """`deadline of 5s` for messages."""
        return f"deadline of {self.deadline:g}s" if self.deadline is not None else "no deadline"


_UNBOUNDED = StepBudget(math.inf, "")
_NO_DEADLINE = StepBudget(math.inf, "deadline")
