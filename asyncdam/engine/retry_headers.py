"""Pure parsers for the headers that steer waiting: X-Rate-Limit-*, Retry-After."""

from __future__ import annotations

import email.utils
import math
from collections.abc import Mapping

from asyncdam.engine.types import RateLimitInfo

# A reset further away than this is garbage (ms instead of s, a year off): ignore it.
MAX_RESET_HORIZON = 24 * 3600.0


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None


def parse_reset(value: str | None, now: float) -> float | None:
    """An epoch-seconds reset time, or None when missing, garbled, past or absurdly far."""
    if value is None:
        return None
    try:
        reset = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(reset) or reset <= 0:
        return None
    # Some servers send seconds-until-reset instead of an epoch; treat small values as deltas.
    if reset < 10**9:
        reset = now + reset
    if reset - now > MAX_RESET_HORIZON:
        return None
    return reset


def parse_rate_limit(headers: Mapping[str, str], now: float) -> RateLimitInfo | None:
    """Read X-Rate-Limit-Limit/Remaining/Reset; None when none of them is usable."""
    limit = _int(headers.get("x-rate-limit-limit"))
    remaining = _int(headers.get("x-rate-limit-remaining"))
    reset = parse_reset(headers.get("x-rate-limit-reset"), now)
    if limit is None and remaining is None and reset is None:
        return None
    if limit == 0:
        limit = None
    return RateLimitInfo(limit=limit, remaining=remaining, reset_at=reset)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or HTTP date); None if unusable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - now
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RESET_HORIZON)
