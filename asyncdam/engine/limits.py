"""The bounds every call runs within: body sizes, redirects, time, throttle waits, JSON depth.

`Limits` holds the engine-wide defaults (every field validated at construction, named in the
error); a `Request` may override the per-call ones. See docs/concepts/failure.md for the reasons
behind each default.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from asyncdam.engine.errors import InvalidArgumentError

__all__ = ["DEFAULT_LIMITS", "GiB", "Limits", "MiB", "check_positive_number"]

MiB = 1024 * 1024
GiB = 1024 * MiB


def check_positive_number(field: str, value: Any, *, allow_none: bool = False) -> float | None:
    """A finite number > 0 (or None when allowed); anything else is an `InvalidArgumentError`."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(field, f"must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(field, f"must be a finite number > 0, got {value!r}")
    return float(value)


def _check_count(field: str, value: Any, *, minimum: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(field, f"must be an integer, got {value!r}")
    if value < minimum:
        raise InvalidArgumentError(field, f"must be at least {minimum}, got {value!r}")


@attrs.frozen(kw_only=True)
class Limits:
    """Engine-wide bounds; `None` switches an optional one off.

    - `max_response_bytes`: a body read into memory (JSON pages, error bodies), counted after
      decompression.
    - `max_download_bytes`: a body streamed chunk by chunk (to a file); `None`: no limit.
    - `max_redirects`: same-origin GET/HEAD hops followed before `UnexpectedRedirect`.
    - `deadline`: seconds for a whole call: permit waits (see `deadline_covers_throttle`), every
      attempt and every retry delay. `None`: bounded only by the other limits.
    - `attempt_timeout`: seconds for one attempt from sending to the last body byte.
    - `max_throttle_wait`: the longest wait for the quota before `QuotaWaitTooLong`; `None`: wait.
    """

    max_response_bytes: int = 64 * MiB
    max_download_bytes: int | None = 32 * GiB
    max_redirects: int = 5
    deadline: float | None = None
    attempt_timeout: float | None = 120.0
    max_throttle_wait: float | None = 330.0
    deadline_covers_throttle: bool = True

    def __attrs_post_init__(self) -> None:
        _check_count("max_response_bytes", self.max_response_bytes, minimum=1)
        _check_count("max_download_bytes", self.max_download_bytes, minimum=1, allow_none=True)
        _check_count("max_redirects", self.max_redirects, minimum=0)
        check_positive_number("deadline", self.deadline, allow_none=True)
        check_positive_number("attempt_timeout", self.attempt_timeout, allow_none=True)
        check_positive_number("max_throttle_wait", self.max_throttle_wait, allow_none=True)
        if not isinstance(self.deadline_covers_throttle, bool):
            raise InvalidArgumentError(
                "deadline_covers_throttle",
                f"must be True or False, got {self.deadline_covers_throttle!r}",
            )


DEFAULT_LIMITS = Limits()
