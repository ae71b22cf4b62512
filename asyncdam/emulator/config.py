"""Settings shared by the three emulators: seed, credential, quota, concurrency, faults, quirks."""

from __future__ import annotations

from typing import Literal, get_args

import attrs

QuirkKind = Literal[
    "php_empty",
    "numeric_strings",
    "bool_strings",
    "id_keyed",
    "comma_lists",
    "missing_optional",
    "extra_fields",
    "unknown_enums",
]
#: Every quirk the emulators can produce, in the order `asyncdam.emulator.quirks` applies them.
QUIRK_KINDS: tuple[QuirkKind, ...] = get_args(QuirkKind)


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
    redirect_rate: float = 0.0
    offsite_redirect_rate: float = 0.0
    offsite_origin: str = "http://elsewhere.invalid"
    oversize_rate: float = 0.0
    oversize_bytes: int = 64 * 1024 * 1024
    bomb_rate: float = 0.0
    bomb_bytes: int = 1024 * 1024 * 1024
    drip_rate: float = 0.0
    drip_interval_ms: float = 100.0
    seed: int = 0

    @property
    def active(self) -> bool:
        """Whether any fault or delay is configured."""
        return bool(self.latency_ms or self.jitter_ms) or any(
            getattr(self, name) for name in FAULT_RATES
        )


#: The `FaultConfig` fields that are probabilities of a terminal fault (they share one draw).
FAULT_RATES = (
    "error_rate",
    "reset_rate",
    "truncate_rate",
    "burst_429_rate",
    "slow_body_rate",
    "redirect_rate",
    "offsite_redirect_rate",
    "oversize_rate",
    "bomb_rate",
    "drip_rate",
)


@attrs.frozen(kw_only=True)
class QuirkConfig:
    """Real-server payload quirks, drawn deterministically from the emulator seed.

    With `enabled`, each eligible JSON node suffers each quirk of `kinds` with probability `rate`
    (see `asyncdam.emulator.quirks`); identity fields (ids) are never altered.
    """

    enabled: bool = False
    rate: float = 0.35
    kinds: frozenset[QuirkKind] = frozenset(QUIRK_KINDS)

    @property
    def active(self) -> bool:
        """Whether any quirk can be produced."""
        return self.enabled and self.rate > 0.0 and bool(self.kinds)


@attrs.frozen(kw_only=True)
class EmulatorConfig:
    """How an emulator app is seeded and what it enforces.

    `quota`/`window`/`concurrency` of None mean the service's documented default (Phrase: 1000 per
    300 s per user, 4 concurrent; the legacy PhraseApp 500 per project and 2 concurrent are
    `quota=500, concurrency=2` plus the app's `quota_scope = "project"` switch; Phraseanet and
    OpenAsset document none, so none is enforced).
    `size` scales the seeded data set (1.0 = the default sizes, big enough that every list pages).
    """

    seed: int = 0
    token: str = attrs.field(default="test-token", repr=False)
    quota: int | None = None
    window: float | None = None
    concurrency: int | None = None
    size: float = 1.0
    faults: FaultConfig = attrs.field(factory=FaultConfig)
    quirks: QuirkConfig = attrs.field(factory=QuirkConfig)
