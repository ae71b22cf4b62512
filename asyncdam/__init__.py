"""asyncdam: one asynchronous engine for the Phrase Strings, Phraseanet and OpenAsset APIs.

The public surface lives here; everything under `asyncdam.engine` is importable but may change.
"""

from asyncdam._version import __version__
from asyncdam.engine.cache import ConditionalCache
from asyncdam.engine.cache_storage import MemoryCache, SQLiteCache
from asyncdam.engine.clock import Clock, SystemClock
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
    InvalidRequestError,
    MethodNotAllowed,
    NotFound,
    RateLimited,
    ServerError,
    TimeoutError,
    TransportError,
    Unauthorized,
    ValidationFailed,
)
from asyncdam.engine.events import EngineStats, Event, Hooks
from asyncdam.engine.limiter import LocalLimiter
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
from asyncdam.openasset import OpenAsset
from asyncdam.phrase import Phrase
from asyncdam.phraseanet import (
    InvalidToken,
    OAuthRequestError,
    PasswordGrant,
    PermissionDenied,
    Phraseanet,
)

__all__ = [
    "APIStatusError",
    "AsyncDamError",
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
    "InvalidRequestError",
    "InvalidToken",
    "LinkHeaderStrategy",
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
    "Rate",
    "RateLimitInfo",
    "RateLimited",
    "Request",
    "Response",
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
    "ValidationFailed",
    "__version__",
]
