"""Backoff schedule shared by the pollers (uploads, async downloads): pure, no clock of its own."""

from __future__ import annotations

import random

import attrs


@attrs.frozen
class Backoff:
    """Delays `initial`, x`factor` each time, capped at `maximum`, with +-`jitter` spread."""

    initial: float = 0.5
    maximum: float = 10.0
    factor: float = 2.0
    jitter: float = 0.1
    timeout: float = 1800.0

    def delay(self, attempt: int, rnd: random.Random | None = None) -> float:
        """The wait before poll number `attempt` (0-based)."""
        base = min(self.maximum, self.initial * self.factor**attempt)
        spread = base * self.jitter
        r = (rnd or random).uniform(-spread, spread)
        return max(0.0, base + r)
