"""Mutable knobs and counters tests reach through `app.state`: settings, stats, sessions."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable

import attrs

from asyncdam.emulator.openasset.schema import Version, parse_version

DEFAULT_VERSION = "10.3.12"


@attrs.define
class Settings:
    """Server behaviour switches (`app.state.settings`); change them between requests in tests.

    version: value of X-OpenAsset-Version; older values disable newer features.
    legacy_strings: send every scalar as a string, like pre-9 servers.
    anonymous_access: serve credential-less requests as `anonymous` (False: answer 401).
    html_errors: send error responses as nginx-style HTML pages instead of JSON.
    outage: when set (e.g. 502), every REST request gets that status as an HTML page.
    session_max_age: seconds a session key stays valid (None: forever), measured by `clock`.
    conditional: send Last-Modified and honour If-Modified-Since / If-Unmodified-Since.
    refuse_original: size 1 (original) downloads answer 403 HTML, as some tenants do.
    anonymous_fallback: bad credentials run as `anonymous` instead of 401 (some servers do;
        clients must notice X-Username).
    charset: response body encoding, declared in Content-Type (e.g. "windows-1252").
    """

    version: str = DEFAULT_VERSION
    legacy_strings: bool = False
    anonymous_access: bool = True
    html_errors: bool = False
    outage: int | None = None
    session_max_age: float | None = None
    conditional: bool = False
    refuse_original: bool = False
    anonymous_fallback: bool = False
    charset: str = "utf-8"
    clock: Callable[[], float] = time.monotonic

    @property
    def parsed_version(self) -> Version:
        """The version as a comparable tuple."""
        return parse_version(self.version)


@attrs.define
class Stats:
    """Counters for tests (`app.state.stats`)."""

    requests: int = 0
    by_method: Counter[str] = attrs.Factory(Counter)
    by_status: Counter[int] = attrs.Factory(Counter)
    by_auth: Counter[str] = attrs.Factory(Counter)
    sessions_issued: int = 0
    downloads: int = 0
    uploads: int = 0
    bulk_items: int = 0
    internal_errors: int = 0
    rejected_quota: int = 0
    rejected_concurrency: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


@attrs.frozen
class Session:
    """One issued X-SessionKey."""

    user_id: int
    username: str
    created: float


class Sessions:
    """Issued session keys (`app.state.sessions`): expiry by age or all at once."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._keys: dict[str, Session] = {}
        self._by_login: dict[tuple[int, str], str] = {}

    def issue(self, user_id: int, username: str, login: str) -> tuple[str, bool]:
        """The live key for this login (a credential hash), creating one if needed; (key, new)."""
        key = self._by_login.get((user_id, login))
        if key is not None and self.lookup(key) is not None:
            return key, False
        key = secrets.token_hex(16)
        self._keys[key] = Session(user_id, username, self._settings.clock())
        self._by_login[(user_id, login)] = key
        return key, True

    def lookup(self, key: str) -> Session | None:
        """The session behind a key, or None when unknown, revoked or too old."""
        session = self._keys.get(key)
        if session is None:
            return None
        max_age = self._settings.session_max_age
        if max_age is not None and self._settings.clock() - session.created >= max_age:
            self.revoke(key)
            return None
        return session

    def revoke(self, key: str) -> None:
        """Forget one key (logout or expiry)."""
        self._keys.pop(key, None)
        for login, value in list(self._by_login.items()):
            if value == key:
                del self._by_login[login]

    def expire_all(self) -> None:
        """Invalidate every key, as a server restart or a session purge would."""
        self._keys.clear()
        self._by_login.clear()

    def __len__(self) -> int:
        return len(self._keys)
