"""Small value types shared by the engine's cores."""

from __future__ import annotations

import attrs


@attrs.frozen
class Rate:
    """A quota: `limit` requests per `window` seconds."""

    limit: int = attrs.field(validator=attrs.validators.ge(1))
    window: float = attrs.field(validator=attrs.validators.gt(0))


@attrs.frozen
class RateLimitInfo:
    """What one response said about the quota; any field may be unknown."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None
