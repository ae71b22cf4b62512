"""asyncdam: one asynchronous engine for the Phrase Strings, Phraseanet and OpenAsset APIs.

The public surface lives here; everything under `asyncdam.engine` is importable but may change.
"""

from typing import TYPE_CHECKING, Any

from asyncdam._version import __version__
from asyncdam.engine.cache import ConditionalCache
from asyncdam.engine.cache_storage import MemoryCache, SQLiteCache
from asyncdam.engine.clock import Clock, SystemClock
from asyncdam.engine.consistency import InvalidCursorError, ListingChanged
from asyncdam.engine.dialect import BaseDialect
from asyncdam.engine.errors import (
    APIStatusError,
    AsyncDamError,
    BadRequest,
    ConfigurationError,
    Conflict,
    DecodeError,
    FieldError,
    Forbidden,
    Gone,
    InsecureTransportError,
    InvalidArgumentError,
    InvalidRequestError,
    MethodNotAllowed,
    NotFound,
    QuotaWaitTooLong,
    RateLimited,
    ResponseTooLarge,
    ServerError,
    TimeoutError,
    TransportError,
    Unauthorized,
    UnexpectedRedirect,
    ValidationFailed,
)
from asyncdam.engine.events import EngineStats, Event, Hooks
from asyncdam.engine.limiter import LocalLimiter
from asyncdam.engine.limits import Limits
from asyncdam.engine.page_strategies import (
    BodyOffsetStrategy,
    LinkHeaderStrategy,
    OffsetLimitStrategy,
    PageNumberStrategy,
)
from asyncdam.engine.pagination import Page, Paginator
from asyncdam.engine.request import Request, Response
from asyncdam.engine.retry import RetryBudget, RetryPolicy
from asyncdam.engine.session import Engine, ServiceClient, StreamedResponse
from asyncdam.engine.types import Rate, RateLimitInfo

if TYPE_CHECKING:
    from asyncdam.engine.redis import BackendUnavailable, RedisBackend
    from asyncdam.openasset import OpenAsset
    from asyncdam.phrase import Phrase
    from asyncdam.phraseanet import (
        InvalidToken,
        OAuthRequestError,
        PasswordGrant,
        PermissionDenied,
        Phraseanet,
    )

# The service clients load on first use: `import asyncdam` (and the CLI) stays fast.
_LAZY = {
    "RedisBackend": "asyncdam.engine.redis",
    "BackendUnavailable": "asyncdam.engine.redis",
    "OpenAsset": "asyncdam.openasset",
    "Phrase": "asyncdam.phrase",
    "Phraseanet": "asyncdam.phraseanet",
    "InvalidToken": "asyncdam.phraseanet",
    "OAuthRequestError": "asyncdam.phraseanet",
    "PasswordGrant": "asyncdam.phraseanet",
    "PermissionDenied": "asyncdam.phraseanet",
}


def __getattr__(name: str) -> Any:
    """Import a service client the first time it is asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'asyncdam' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "APIStatusError",
    "AsyncDamError",
    "BackendUnavailable",
    "BadRequest",
    "BaseDialect",
    "BodyOffsetStrategy",
    "Clock",
    "ConditionalCache",
    "ConfigurationError",
    "Conflict",
    "DecodeError",
    "Engine",
    "EngineStats",
    "Event",
    "FieldError",
    "Forbidden",
    "Gone",
    "Hooks",
    "InsecureTransportError",
    "InvalidArgumentError",
    "InvalidCursorError",
    "InvalidRequestError",
    "InvalidToken",
    "Limits",
    "LinkHeaderStrategy",
    "ListingChanged",
    "LocalLimiter",
    "MemoryCache",
    "MethodNotAllowed",
    "NotFound",
    "OAuthRequestError",
    "OffsetLimitStrategy",
    "OpenAsset",
    "Page",
    "PageNumberStrategy",
    "Paginator",
    "PasswordGrant",
    "PermissionDenied",
    "Phrase",
    "Phraseanet",
    "QuotaWaitTooLong",
    "Rate",
    "RateLimitInfo",
    "RateLimited",
    "RedisBackend",
    "Request",
    "Response",
    "ResponseTooLarge",
    "RetryBudget",
    "RetryPolicy",
    "SQLiteCache",
    "ServerError",
    "ServiceClient",
    "StreamedResponse",
    "SystemClock",
    "TimeoutError",
    "TransportError",
    "Unauthorized",
    "UnexpectedRedirect",
    "ValidationFailed",
    "__version__",
]
