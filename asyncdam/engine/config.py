"""Checking what `Engine(...)` is given, before anything is built: each bad value is an
`InvalidArgumentError` naming its argument, never a raw TypeError or a warning per request."""

from __future__ import annotations

import difflib
import importlib.util
import math
import os
import ssl
from collections.abc import Iterable, Mapping
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.request import Request as UrllibRequest

import httpx

from asyncdam.engine.body import ACCEPT_ENCODING
from asyncdam.engine.checks import check_bool, check_int
from asyncdam.engine.errors import ConfigurationError, InvalidArgumentError
from asyncdam.engine.events import Hooks
from asyncdam.engine.protocols import CacheStorage, LimiterBackend
from asyncdam.engine.redact import redact_url
from asyncdam.engine.retry import RetryBudget, RetryPolicy

__all__ = ["check_cache", "check_engine_args", "check_proxy", "http_client", "reject_unknown"]


def reject_unknown(unknown: Mapping[str, Any], known: Iterable[str]) -> None:
    """Refuse keyword arguments the Engine does not take, suggesting the closest one."""
    if not unknown:
        return
    name = sorted(unknown)[0]
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise InvalidArgumentError(name, f"Engine() got an unexpected keyword argument{hint}")


def _writable_location(path: Path) -> bool:
    if path.exists():
        return path.is_file() and os.access(path, os.R_OK | os.W_OK)
    parent = path.parent if str(path.parent) else Path(".")
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


def check_cache(value: Any) -> None:
    """`cache` is True, False or a storage; a file-backed storage must be able to write its file."""
    if isinstance(value, bool):
        return
    if not isinstance(value, CacheStorage):
        raise InvalidArgumentError(
            "cache",
            f"must be True, False or a cache storage such as SQLiteCache(path), got {value!r}",
        )
    path = getattr(value, "path", None)
    if isinstance(path, Path) and str(path) != ":memory:" and not _writable_location(path):
        raise InvalidArgumentError("cache", f"cannot create or write the cache file {str(path)!r}")


def check_proxy(value: Any) -> None:
    """`proxy` is None, an http(s)/socks5 URL (str or httpx.URL) or an `httpx.Proxy`."""
    if value is None or isinstance(value, httpx.Proxy):
        return
    if not isinstance(value, str | httpx.URL):
        raise InvalidArgumentError("proxy", f"must be a proxy URL, got {type(value).__name__}")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise InvalidArgumentError("proxy", "is not a valid URL") from None
    if url.scheme not in {"http", "https", "socks5", "socks5h"} or not url.host:
        shown = redact_url(str(value))
        raise InvalidArgumentError(
            "proxy", f"must be an http://, https:// or socks5:// URL with a host, got {shown!r}"
        )


def _timeout(value: Any) -> None:
    if value is None or isinstance(value, httpx.Timeout):
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(
            "timeout", f"must be seconds (a number), an httpx.Timeout or None, got {value!r}"
        )
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError("timeout", f"must be a finite number > 0, got {value!r}")


def check_engine_args(args: Mapping[str, Any]) -> None:
    """Validate the Engine's arguments (those with simple types; limits check themselves)."""
    check_cache(args["cache"])
    check_proxy(args["proxy"])
    _timeout(args["timeout"])
    check_int("max_connections", args["max_connections"], minimum=1)
    check_int("max_keepalive_connections", args["max_keepalive_connections"], minimum=0)
    for flag in ("http2", "trust_env"):
        check_bool(flag, args[flag])
    verify = args["verify"]
    if not isinstance(verify, bool | ssl.SSLContext):
        raise InvalidArgumentError(
            "verify", f"must be True, False or an ssl.SSLContext, got {verify!r}"
        )
    limiter = args["limiter"]
    if limiter is not None and not isinstance(limiter, LimiterBackend):
        raise InvalidArgumentError("limiter", f"must be a limiter backend, got {limiter!r}")
    transport = args["transport"]
    if transport is not None and not hasattr(transport, "handle_async_request"):
        raise InvalidArgumentError(
            "transport", f"must be an httpx.AsyncBaseTransport, got {type(transport).__name__}"
        )
    for field, kind in (("retry", RetryPolicy), ("retry_budget", RetryBudget), ("hooks", Hooks)):
        value = args[field]
        if value is not None and not isinstance(value, kind):
            raise InvalidArgumentError(field, f"must be a {kind.__name__}, got {value!r}")
    clock = args["clock"]
    if clock is not None and not all(hasattr(clock, n) for n in ("now", "monotonic", "sleep")):
        raise InvalidArgumentError("clock", "must have now(), monotonic() and sleep()")


class RefuseAllCookies(DefaultCookiePolicy):
    """A cookie policy that accepts and returns nothing: the engine keeps no cookies (see
    `Engine`), even where a request still goes through `httpx.AsyncClient.send`."""

    def set_ok(self, cookie: Cookie, request: UrllibRequest) -> bool:
        """Never store a cookie."""
        return False

    def return_ok(self, cookie: Cookie, request: UrllibRequest) -> bool:
        """Never send one back."""
        return False


def http_client(
    *,
    timeout: float | httpx.Timeout | None,
    max_connections: int,
    max_keepalive_connections: int,
    http2: bool,
    verify: bool | ssl.SSLContext,
    transport: httpx.AsyncBaseTransport | None,
    proxy: str | httpx.URL | httpx.Proxy | None,
    trust_env: bool,
) -> httpx.AsyncClient:
    """The one pooled httpx client of an Engine: no redirects (the engine decides them), only the
    content codings the bounded decoder undoes, the environment read only when asked, a cookie
    jar that keeps nothing."""
    if http2 and importlib.util.find_spec("h2") is None:
        raise ConfigurationError("http2=True needs the 'http2' extra: asyncdam[http2]")
    return httpx.AsyncClient(
        timeout=timeout,
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
        ),
        http2=http2,
        verify=verify,
        transport=transport,
        proxy=proxy,
        follow_redirects=False,
        trust_env=trust_env,
        headers={"Accept-Encoding": ACCEPT_ENCODING},
        cookies=CookieJar(policy=RefuseAllCookies()),
    )
