"""Quirk profiles: JSON replies reshaped the way real servers send them at their worst.

A generic transformer walks a decoded JSON reply and, node by node, applies the quirks of a
`QuirkConfig` with probability `rate`; which fields are ids, which lists may become id-keyed
objects or comma strings and which strings are enums comes from a per-service `QuirkRules` table.
Every choice is a hash of (seed, request path, JSON path, quirk), so the same seed and request give
the same reply. The quirks:

- ``php_empty``: an empty nested object becomes ``[]`` (PHP's empty array), and so does a nested
  object holding no id (labels, options: what a server with nothing configured there sends);
- ``numeric_strings``: a number becomes its string (``5`` -> ``"5"``);
- ``bool_strings``: a boolean becomes ``"1"``/``"0"``;
- ``id_keyed``: a list of objects named in `keyed_lists` becomes ``{"<id>": item, ...}``;
- ``comma_lists``: a list of scalars named in `comma_lists` becomes ``"a,b,c"``;
- ``missing_optional``: a field not in `identity` or `keep` is left out;
- ``extra_fields``: an object gains an undocumented field;
- ``unknown_enums``: a string field named in `enums` gets a value outside its enum.

Identity fields (ids) are never altered or dropped, so a tolerant client can still dedupe; the
top-level shape (the list a listing returns, the envelope) is never changed. `QuirkMiddleware`
applies the transformer to 2xx JSON replies of an ASGI app (not to HEAD, errors or files).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from asyncdam.emulator.config import QuirkConfig, QuirkKind
from asyncdam.emulator.faults import ASGIApp, Message, Receive, Scope, Send

#: The undocumented field `extra_fields` adds (its value varies: string, number, object, list).
EXTRA_FIELD = "x_emulator_quirk"
UNKNOWN_ENUM = "emulator-unknown-value"
_EXTRA_VALUES: tuple[Any, ...] = ("surprise", 42, {"nested": True}, [1, "two"], None)


@attrs.frozen(kw_only=True)
class QuirkRules:
    """What the transformer must know about one service's payloads.

    `identity`: field names never altered nor dropped (ids, paging counters); `keep`: fields never
    dropped; `keyed_lists`: list field -> the id key its items are keyed by; `comma_lists`: scalar
    list fields that may travel as comma strings; `enums`: string fields with a closed value set;
    `root`: the key of the payload inside an envelope (None: the whole body); `skip_prefixes`:
    request paths left alone (token endpoints, files).
    """

    identity: frozenset[str]
    keep: frozenset[str] = frozenset()
    keyed_lists: Mapping[str, str] = attrs.field(factory=dict)
    comma_lists: frozenset[str] = frozenset()
    enums: frozenset[str] = frozenset()
    root: str | None = None
    skip_prefixes: tuple[str, ...] = ()
    id_suffix: str | None = "_id"

    def is_identity(self, key: str) -> bool:
        """Whether `key` names an id (listed, or ending in `id_suffix`)."""
        return key in self.identity or (self.id_suffix is not None and key.endswith(self.id_suffix))


def _unit(seed: int, where: str, kind: str) -> float:
    """A uniform number in [0, 1) for one quirk at one place."""
    digest = hashlib.blake2b(f"{seed}\x00{where}\x00{kind}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


@attrs.define
class _Walker:
    rules: QuirkRules
    quirks: QuirkConfig
    seed: int
    salt: str
    applied: dict[str, int] = attrs.field(factory=dict)

    def hit(self, kind: QuirkKind, where: str) -> bool:
        if kind not in self.quirks.kinds:
            return False
        if _unit(self.seed, f"{self.salt}{where}", kind) >= self.quirks.rate:
            return False
        self.applied[kind] = self.applied.get(kind, 0) + 1
        return True

    def value(self, value: Any, key: str | None, where: str, depth: int) -> Any:
        if isinstance(value, dict):
            return self.mapping(value, where, depth)
        if isinstance(value, list):
            return self.sequence(value, key, where, depth)
        if key is not None and self.rules.is_identity(key):
            return value
        if isinstance(value, bool):
            return ("1" if value else "0") if self.hit("bool_strings", where) else value
        if isinstance(value, int | float):
            return str(value) if self.hit("numeric_strings", where) else value
        if isinstance(value, str) and key in self.rules.enums:
            return UNKNOWN_ENUM if self.hit("unknown_enums", where) else value
        return value

    def mapping(self, value: dict[str, Any], where: str, depth: int) -> Any:
        rules = self.rules
        if depth > 1 and value and not _holds_identity(value, rules):
            if self.hit("php_empty", where + "#whole"):
                return []
        out: dict[str, Any] = {}
        for key, item in value.items():
            here = f"{where}/{key}"
            scalar = not isinstance(item, dict | list)
            if scalar and rules.is_identity(key):
                out[key] = item
                continue
            # Only scalars go missing: a container holds items, and items are never lost.
            if scalar and key not in rules.keep and depth > 0:
                if self.hit("missing_optional", here):
                    continue
            out[key] = self.value(item, key, here, depth + 1)
        if depth > 0 and self.hit("extra_fields", where):
            pick = int(_unit(self.seed, f"{self.salt}{where}", "extra-value") * len(_EXTRA_VALUES))
            out[EXTRA_FIELD] = _EXTRA_VALUES[pick]
        if not out and depth > 0 and self.hit("php_empty", where):
            return []
        return out

    def sequence(self, value: list[Any], key: str | None, where: str, depth: int) -> Any:
        items = [self.value(v, key, f"{where}/{n}", depth + 1) for n, v in enumerate(value)]
        if depth == 0 or key is None:
            return items
        id_key = self.rules.keyed_lists.get(key)
        if id_key is not None and items and all(_has_id(i, id_key) for i in items):
            keys = [str(i[id_key]) for i in items]
            if len(set(keys)) == len(keys) and self.hit("id_keyed", where):
                return dict(zip(keys, items, strict=True))
        if key in self.rules.comma_lists and all(_plain(i) for i in items):
            if self.hit("comma_lists", where):
                return ",".join(str(i) for i in items)
        return items


def _holds_identity(value: Any, rules: QuirkRules) -> bool:
    """Whether an id (or a kept field) is anywhere inside `value`: such objects never vanish."""
    if isinstance(value, dict):
        return any(
            rules.is_identity(k) or k in rules.keep or _holds_identity(v, rules)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_holds_identity(v, rules) for v in value)
    return False


def _has_id(item: Any, id_key: str) -> bool:
    return isinstance(item, dict) and isinstance(item.get(id_key), int | str)


def _plain(item: Any) -> bool:
    """A scalar a comma string can carry back unambiguously."""
    if isinstance(item, bool) or not isinstance(item, str | int):
        return False
    return "," not in str(item) and str(item) == str(item).strip() and str(item) != ""


def transform(
    doc: Any, rules: QuirkRules, quirks: QuirkConfig, seed: int, salt: str = ""
) -> tuple[Any, dict[str, int]]:
    """`doc` with quirks applied, and how many of each kind were applied (a pure function).

    `salt` (the request path) varies the choices between endpoints; the same inputs always give
    the same output.
    """
    walker = _Walker(rules, quirks, seed, salt)
    if not quirks.active:
        return doc, {}
    if rules.root is not None:
        if not isinstance(doc, dict) or rules.root not in doc:
            return doc, {}
        inner = doc[rules.root]
        if isinstance(inner, dict):
            # The payload object itself keeps its shape; its members are one level down.
            changed = {
                k: walker.value(v, k, f"/{k}", 1) if not rules.is_identity(k) else v
                for k, v in inner.items()
            }
        else:
            changed = walker.value(inner, None, "", 0)
        return {**doc, rules.root: changed}, walker.applied
    return walker.value(doc, None, "", 0), walker.applied


@attrs.define
class QuirkStats:
    """How many quirks of each kind the middleware applied, and to how many replies."""

    replies: int = 0
    applied: dict[str, int] = attrs.field(factory=dict)


class QuirkMiddleware:
    """Apply `transform` to the 2xx JSON replies of `app` (HEAD, errors and non-JSON untouched).

    The reply is buffered, reshaped, re-encoded and its Content-Length corrected; everything else
    (status, other headers) passes as is. Place it inside the fault middleware, so faults still
    mangle the bytes a client finally gets.
    """

    def __init__(
        self,
        app: ASGIApp,
        rules: QuirkRules,
        quirks: QuirkConfig,
        seed: int,
        *,
        dumps: Callable[[Any], bytes] | None = None,
        stats: QuirkStats | None = None,
    ) -> None:
        self.app = app
        self.rules = rules
        self.quirks = quirks
        self.seed = seed
        self.stats = stats if stats is not None else QuirkStats()
        self._dumps = dumps or _compact

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        path = str(scope.get("path", ""))
        if (
            scope["type"] != "http"
            or not self.quirks.active
            or scope.get("method") == "HEAD"
            or path.startswith(self.rules.skip_prefixes)
        ):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []
        body = bytearray()
        passing = False

        async def hold(message: Message) -> None:
            nonlocal passing
            if message["type"] == "http.response.start":
                if not _json_success(message):
                    passing = True
                    await send(message)
                    return
                held.append(message)
                return
            if message["type"] != "http.response.body" or passing:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                await self._flush(held[0], bytes(body), path, send)

        await self.app(scope, receive, hold)

    async def _flush(self, start: Message, raw: bytes, path: str, send: Send) -> None:
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            out = raw
        else:
            changed, applied = transform(doc, self.rules, self.quirks, self.seed, path)
            self.stats.replies += 1
            for kind, count in applied.items():
                self.stats.applied[kind] = self.stats.applied.get(kind, 0) + count
            out = self._dumps(changed) if applied else raw
        headers = [
            (bytes(k), bytes(v))
            for k, v in start.get("headers", [])
            if bytes(k).lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(out)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": out})


def _compact(doc: Any) -> bytes:
    # ASCII with \u escapes reads the same in whatever charset the reply declares.
    return json.dumps(doc, separators=(",", ":")).encode("ascii")


def _json_success(start: Message) -> bool:
    if not 200 <= int(start["status"]) < 300:
        return False
    for name, value in start.get("headers", []):
        if bytes(name).lower() == b"content-type":
            media = bytes(value).split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


def wrap(
    app: ASGIApp,
    rules: QuirkRules,
    quirks: QuirkConfig,
    seed: int,
    stats: QuirkStats | None = None,
) -> ASGIApp:
    """`app` behind a `QuirkMiddleware` (counting into `stats`) when quirks are on, else `app`."""
    return QuirkMiddleware(app, rules, quirks, seed, stats=stats) if quirks.active else app


#: Phraseanet: PHP arrays (`[]` for `{}`, id-keyed lists), inside the envelope's `response`.
PHRASEANET_RULES = QuirkRules(
    identity=frozenset(
        "id bit offset_start per_page total_results available_results total_entries offset limit "
        "count total page children_total children_offset children_limit children_count".split()
    ),
    keep=frozenset({"url", "page_url", "download_url", "entity", "name", "success"}),
    keyed_lists={
        "databoxes": "databox_id",
        "collections": "base_id",
        "document_metadatas": "id",
        "meta_fields": "id",
        "entries": "id",
        "feeds": "id",
        "baskets": "basket_id",
        "basket_elements": "basket_element_id",
        "items": "item_id",
        "record_metadatas": "meta_id",
        "quarantine_items": "id",
        "status": "bit",
    },
    comma_lists=frozenset({"devices", "order_managers"}),
    enums=frozenset({"phrasea_type", "player_type", "type"}),
    root="response",
    skip_prefixes=("/api/oauthv2", "/medias/", "/permalink/"),
)

#: OpenAsset: legacy scalars as strings, "1"/"0" flags, id-keyed expansions.
OPENASSET_RULES = QuirkRules(
    identity=frozenset({"id"}),
    keep=frozenset({"name", "http_root", "http_relative_path", "relative_path", "unc_root"}),
    keyed_lists={
        name: "id"
        for name in (
            "keywords albums sizes fields projectKeywords files users groups fieldLookupStrings "
            "employees projects"
        ).split()
    },
    comma_lists=frozenset({"values", "ids"}),
    enums=frozenset({"field_type", "field_display_type", "data_integration_type", "colourspace"}),
    skip_prefixes=("/storage/",),
)

#: Phrase Strings: numbers and flags as strings, tags as a comma string, unknown states.
PHRASE_RULES = QuirkRules(
    identity=frozenset({"id"}),
    keep=frozenset({"name", "code", "content"}),
    comma_lists=frozenset({"tags"}),
    enums=frozenset({"state"}),
)
