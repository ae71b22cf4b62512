"""Settings shared by the three emulators: seed, credential, quota, concurrency, faults."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class FaultConfig:
    """Deterministic fault injection (all rates are probabilities in [0, 1], drawn from `seed`)."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    reset_rate: float = 0.0
    truncate_rate: float = 0.0
    burst_429_rate: float = 0.0
    slow_body_rate: float = 0.0
    slow_body_ms: float = 200.0
    seed: int = 0

    @property
    def active(self) -> bool:
        """Whether any fault or delay is configured."""
        return any(
            (
                self.latency_ms,
                self.jitter_ms,
                self.error_rate,
                self.reset_rate,
                self.truncate_rate,
                self.burst_429_rate,
                self.slow_body_rate,
            )
        )


@attrs.frozen(kw_only=True)
class EmulatorConfig:
    """How an emulator app is seeded and what it enforces.

    `quota`/`window`/`concurrency` of None mean the service's documented default (Phrase: 500 per
    300 s, 2 concurrent; Phraseanet and OpenAsset document none, so none is enforced).
    `size` scales the seeded data set (1.0 = the default sizes, big enough that every list pages).
    """

    seed: int = 0
    token: str = attrs.field(default="test-token", repr=False)
    quota: int | None = None
    window: float | None = None
    concurrency: int | None = None
    size: float = 1.0
    faults: FaultConfig = attrs.field(factory=FaultConfig)
