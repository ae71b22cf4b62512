"""Keyed hashes that name credentials: in quota scopes, cache keys, Redis keys, reprs and messages.

A plain hash of a credential can be matched against a dictionary of guesses, so every tag is an
HMAC-SHA256 under a key secret that never leaves the process. By default that secret is random
per process; state shared by several processes (a Redis backend, a SQLite cache kept across runs)
needs one secret they all use: `ASYNCDAM_KEY_SECRET` in the environment, or `set_key_secret()`
before any client is created (tags are computed when a client is built). `set_key_secret` wins
over the environment, which wins over the random default.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from asyncdam.engine.errors import ConfigurationError

__all__ = [
    "KEY_SECRET_ENV",
    "MIN_SECRET_LENGTH",
    "key_secret_is_shared",
    "key_secret_source",
    "new_key_secret",
    "set_key_secret",
    "short_hash",
    "using_key_secret",
]

KEY_SECRET_ENV = "ASYNCDAM_KEY_SECRET"  # noqa: S105 (the variable name, not a secret)
MIN_SECRET_LENGTH = 16
TAG_LENGTH = 12

Source = Literal["environment", "set_key_secret", "random"]

_lock = threading.Lock()
_explicit: bytes | None = None
_random = secrets.token_bytes(32)
_env_cache: tuple[str, bytes] | None = None


def _checked(secret: str | bytes, origin: str) -> bytes:
    data = secret.encode() if isinstance(secret, str) else bytes(secret)
    if len(data) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"the key secret from {origin} is too short: use at least {MIN_SECRET_LENGTH} "
            "random characters (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
        )
    return data


def _current() -> tuple[bytes, Source]:
    """`set_key_secret()` first, then the environment (read on each call), then random."""
    global _env_cache
    with _lock:
        if _explicit is not None:
            return _explicit, "set_key_secret"
        from_env = os.environ.get(KEY_SECRET_ENV, "")
        if from_env:
            if _env_cache is None or _env_cache[0] != from_env:
                _env_cache = (from_env, _checked(from_env, f"${KEY_SECRET_ENV}"))
            return _env_cache[1], "environment"
        return _random, "random"


def new_key_secret() -> str:
    """A fresh random secret (64 hex digits), e.g. to put into `ASYNCDAM_KEY_SECRET`."""
    return secrets.token_hex(32)


def set_key_secret(secret: str | bytes | None) -> None:
    """Use `secret` (at least 16 characters) for every tag from now on, over the environment;
    None goes back to `ASYNCDAM_KEY_SECRET`, else the process's random secret.

    Call it before creating clients: a client's tag is computed when it is built.
    """
    global _explicit
    value = None if secret is None else _checked(secret, "set_key_secret()")
    with _lock:
        _explicit = value


@contextmanager
def using_key_secret(secret: str | bytes | None) -> Iterator[None]:
    """`set_key_secret(secret)` for the duration of the block, then the previous setting again;
    None changes nothing."""
    global _explicit
    if secret is None:
        yield
        return
    value = _checked(secret, "using_key_secret()")
    with _lock:
        previous, _explicit = _explicit, value
    try:
        yield
    finally:
        with _lock:
            _explicit = previous


def key_secret_source() -> Source:
    """Where the secret in use came from: the environment, `set_key_secret`, or random."""
    return _current()[1]


def key_secret_is_shared() -> bool:
    """Whether other processes can compute the same tags (the secret was configured, not drawn)."""
    return key_secret_source() != "random"


def short_hash(value: str | bytes) -> str:
    """A short tag for a secret (12 hex digits of HMAC-SHA256 under the key secret)."""
    data = value.encode() if isinstance(value, str) else value
    key, _ = _current()
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:TAG_LENGTH]
