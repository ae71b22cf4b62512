"""Which 3xx answers the engine follows (pure: no I/O).

Only same-origin redirects of GET and HEAD are followed, a bounded number of times, so the
credential never leaves its origin and https is never downgraded; everything else is refused and
becomes `UnexpectedRedirect`. No 3xx is ever handed to an adapter as a success.

`cross_origin=True` is the policy of credential-free fetches only (`Engine.stream_external`, for
signed download links, which a storage host may send on to a regional endpoint): an https link may
then move to another host or port, still never to http and never to a URL carrying userinfo.
API calls never use it.
"""

from __future__ import annotations

import attrs
import httpx

__all__ = ["FOLLOWED_METHODS", "REDIRECT_STATUSES", "RedirectDecision", "decide_redirect"]

# 300 (choices), 305 and 306 name no single target the client may take on its own.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Anything else may have been applied by the server already; a redirect says nothing about that.
FOLLOWED_METHODS = frozenset({"GET", "HEAD"})


@attrs.frozen
class RedirectDecision:
    """Follow `target`, or refuse for `reason` (`location` is the absolute target when known)."""

    follow: bool
    reason: str
    target: httpx.URL | None = None
    location: str | None = None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    port = url.port
    if port is None:
        port = 443 if url.scheme == "https" else 80 if url.scheme == "http" else None
    return url.scheme, url.host, port


def decide_redirect(
    *,
    method: str,
    status: int,
    current: httpx.URL,
    location: str | None,
    hops: int,
    max_hops: int,
    cross_origin: bool = False,
) -> RedirectDecision:
    """Decide about one 3xx answer to `method current` after `hops` redirects already followed
    (`cross_origin=True`: the credential-free policy described above, never for API calls)."""
    if status not in REDIRECT_STATUSES:
        return RedirectDecision(False, f"status {status} is not a redirect the engine follows")
    if not location or not location.strip():
        return RedirectDecision(False, f"status {status} without a Location header")
    try:
        target = current.join(location.strip()).copy_with(fragment=None)
    except (httpx.InvalidURL, ValueError):
        return RedirectDecision(False, "unparseable Location header")
    shown = str(target)
    if method not in FOLLOWED_METHODS:
        return RedirectDecision(
            False,
            f"a redirected {method} is never repeated (it may have been applied)",
            None,
            shown,
        )
    if current.scheme == "https" and target.scheme != "https":
        return RedirectDecision(False, "redirect would downgrade https to http", None, shown)
    if cross_origin:
        if target.scheme != "https":
            return RedirectDecision(False, "a credential-free link stays on https", None, shown)
        if target.userinfo:
            return RedirectDecision(False, "redirect to a URL carrying userinfo", None, shown)
    elif _origin(target) != _origin(current):
        return RedirectDecision(False, "redirect to another origin", None, shown)
    if hops >= max_hops:
        return RedirectDecision(
            False, f"more than {max_hops} redirects (max_redirects)", None, shown
        )
    where = "the same origin" if _origin(target) == _origin(current) else "another https origin"
    return RedirectDecision(True, f"{status} to {where}", target, shown)
