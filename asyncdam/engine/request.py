"""What an adapter asks the engine to send, and what comes back."""

from __future__ import annotations

import math
import re
import string
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import attrs
import httpx

from asyncdam.engine.errors import InvalidRequestError
from asyncdam.engine.json_safe import charset_of, parse_json

QueryValue = str | int | float | bool | None
QueryParams = Mapping[str, QueryValue | Sequence[QueryValue]] | Sequence[tuple[str, QueryValue]]
FileValue = tuple[str, bytes | Any, str] | tuple[str, bytes | Any]
Files = Sequence[tuple[str, FileValue]]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BAD_HEADER = re.compile(r"[\r\n\x00]")


def encode_path_segment(value: object, *, name: str = "value") -> str:
    """Percent-encode one caller-given path value so it can never change the route.

    Every byte outside the unreserved set is encoded, `/` and `%` included, and the dot segments
    `.` and `..` are refused outright because some servers and proxies normalise them away.
    """
    if value is None or isinstance(value, bool):
        raise InvalidRequestError(
            f"path parameter {name!r} must be a string or integer, got {value!r}"
        )
    if not isinstance(value, str | int):
        raise InvalidRequestError(
            f"path parameter {name!r} must be a string or integer, got {type(value).__name__}"
        )
    text = str(value)
    if text == "":
        raise InvalidRequestError(f"path parameter {name!r} must not be empty")
    if text in {".", ".."}:
        raise InvalidRequestError(f"path parameter {name!r} must not be a dot segment")
    return quote(text, safe="-._~")


def render_path(template: str, params: Mapping[str, object]) -> str:
    """Fill `{name}` placeholders of a path template with percent-encoded values."""
    names = _FIELD.findall(template)
    missing = [n for n in names if n not in params]
    if missing:
        raise InvalidRequestError(f"missing path parameter(s): {', '.join(missing)}")
    extra = set(params) - set(names)
    if extra:
        raise InvalidRequestError(f"unknown path parameter(s): {', '.join(sorted(extra))}")
    return _FIELD.sub(lambda m: encode_path_segment(params[m.group(1)], name=m.group(1)), template)


def check_header_value(name: str, value: str) -> str:
    """Refuse header names/values that could split a request (CR, LF, NUL)."""
    if _BAD_HEADER.search(name) or _BAD_HEADER.search(value):
        raise InvalidRequestError(f"header {name!r} contains a forbidden control character")
    if not name or any(c not in _TOKEN_CHARS for c in name):
        raise InvalidRequestError(f"invalid header name {name!r}")
    return value


_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")


def _upper(method: str) -> str:
    return method.upper()


def _seconds(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidRequestError(f"{name} must be a number of seconds, got {value!r}")
        if not math.isfinite(value) or value <= 0:
            raise InvalidRequestError(f"{name} must be a finite number > 0, got {value!r}")

    return check


def _positive_int(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidRequestError(f"{name} must be a positive integer, got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class Request:
    """One logical API call: the engine sends it (and maybe retries it) on the adapter's dialect.

    `path` is a template relative to the dialect's base URL (e.g. `/projects/{project_id}/keys`);
    `url`, when given, is an absolute URL that replaces it (next-page links), and must stay on the
    dialect's origin.
    """

    method: str = attrs.field(converter=_upper)
    path: str = ""
    path_params: Mapping[str, object] = attrs.field(factory=dict)
    url: str | None = None
    query: QueryParams = attrs.field(factory=dict)
    headers: Mapping[str, str] = attrs.field(factory=dict)
    json: Any = None
    data: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None
    files: Files | None = None
    content: bytes | AsyncIterable[bytes] | None = None
    idempotent: bool | None = None
    cacheable: bool | None = None
    scope: str | None = None
    authenticated: bool = True
    # Per-call overrides of the engine's limits (None: the engine's value). `timeout` bounds each
    # network operation (connect, read, write, pool) like `Engine(timeout=)`.
    timeout: float | None = attrs.field(default=None, validator=_seconds("timeout"))
    attempt_timeout: float | None = attrs.field(default=None, validator=_seconds("attempt_timeout"))
    deadline: float | None = attrs.field(default=None, validator=_seconds("deadline"))
    max_response_bytes: int | None = attrs.field(
        default=None, validator=_positive_int("max_response_bytes")
    )
    # The rendered path, kept after the first rendering (adapters render early to refuse bad ids,
    # the engine renders again to send); `evolve` starts a copy without it.
    _rendered: str | None = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        if self.headers:
            for k, v in self.headers.items():
                check_header_value(k, v)
        self._check_bodies()

    def _check_bodies(self) -> None:
        bodies = (self.json is not None) + (self.data is not None) + (self.content is not None)
        if bodies > 1:
            raise InvalidRequestError("a request takes only one of json=, data= or content=")
        if self.files is not None and (self.json is not None or self.content is not None):
            raise InvalidRequestError("files= combines with data= only")

    @property
    def is_idempotent(self) -> bool:
        """Whether the request may be retried after bytes were sent."""
        if self.idempotent is not None:
            return self.idempotent
        return self.method in IDEMPOTENT_METHODS

    @property
    def is_cacheable(self) -> bool:
        """Whether a conditional-request cache entry may be used for it."""
        if self.cacheable is not None:
            return self.cacheable
        return self.method == "GET" and not isinstance(self.content, AsyncIterable)

    def rendered_path(self) -> str:
        """The path with every placeholder filled and percent-encoded."""
        rendered = self._rendered
        if rendered is None:
            rendered = render_path(self.path, self.path_params)
            object.__setattr__(self, "_rendered", rendered)
        return rendered

    def evolve(self, **changes: Any) -> Request:
        """A copy with some fields replaced (e.g. the next page's query).

        Changes to fields without converter or validator (the paging parameters, bodies, URL)
        copy the slots directly and re-check only what they can break (one body at most), a
        few microseconds less per page than `attrs.evolve`; the rendered path is kept while
        `path` and `path_params` stay the same.
        """
        if type(self) is not Request or not changes.keys() <= _PLAIN_FIELDS:
            return attrs.evolve(self, **changes)
        new: Request = _new_object(Request)
        for name, setter in _SLOT_SETTERS:
            setter(new, changes[name] if name in changes else getattr(self, name))
        if "path" in changes or "path_params" in changes:
            _set_rendered(new, None)
        new._check_bodies()
        return new


# Fields `Request.evolve` may replace without `__init__`: no converter, no validator, and no
# check in `__attrs_post_init__` beyond the body count it re-runs (headers are checked there).
_PLAIN_FIELDS = frozenset(
    f.name
    for f in attrs.fields(Request)
    if f.init and f.converter is None and f.validator is None and f.name != "headers"
)
_SLOT_SETTERS = tuple((f.name, getattr(Request, f.name).__set__) for f in attrs.fields(Request))
_set_rendered = Request.__dict__["_rendered"].__set__
_new_object = object.__new__


@attrs.frozen(kw_only=True)
class Response:
    """A complete response: status, headers and the whole body, possibly from the cache."""

    status: int
    headers: httpx.Headers
    content: bytes
    method: str
    url: str
    from_cache: bool = False
    attempts: int = 1
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """True for 2xx (and for a 304 answered from the cache)."""
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        """The body decoded with the charset the server declared (UTF-8 otherwise); bytes that do
        not decode show as U+FFFD, never as other letters."""
        charset = charset_of(self.headers.get("content-type", ""))
        try:
            return self.content.decode(charset or "utf-8", errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; a `DecodeError` when it is not valid JSON in valid text."""
        return parse_json(
            self.content,
            content_type=self.headers.get("content-type", ""),
            method=self.method,
            url=self.url,
        )
