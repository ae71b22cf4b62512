"""What one pass of the demo reports, and the least time a quota allows for it."""

from __future__ import annotations

import math

import attrs

__all__ = ["DemoRow", "quota_bound"]


def quota_bound(counted: int, quota: int | None, window: float | None) -> float | None:
    """The least time `counted` quota-charged requests need: whole windows beyond the first."""
    if quota is None or window is None:
        return None
    if counted <= quota:
        return 0.0
    return (math.ceil(counted / quota) - 1) * window


@attrs.define
class DemoRow:
    """One pass of one service, as shown in the final table."""

    service: str
    job: str
    items: int
    expected: int | None
    requests: int
    not_modified: int
    rate_limited: int
    retries: int
    throttle_wait: float
    elapsed: float
    minimum: str
    problems: list[str] = attrs.field(factory=list)
