"""A tiny method + path-template router; unknown routes and methods get the service's 404.

A literal segment wins over a parameter at the same place (`/keys/exclude` before `/keys/{id}`),
whatever order the routes were given in.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import unquote

from asyncdam.emulator.phrase.web import Ctx, Reply

Handler = Callable[[Ctx], Reply | Awaitable[Reply]]
RouteSpec = tuple[str, str, Handler]


class Router:
    """Routes grouped by method; path segments are matched raw and decoded afterwards."""

    def __init__(self, routes: Iterable[RouteSpec]) -> None:
        """Compile `(method, template, handler)` triples; templates use `{name}` segments."""
        self._by_method: dict[str, list[tuple[re.Pattern[str], Handler, str]]] = {}
        self.templates: set[tuple[str, str]] = set()
        for method, template, handler in routes:
            pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
            self._by_method.setdefault(method, []).append(
                (re.compile(f"^{pattern}/?$"), handler, template)
            )
            self.templates.add((method, template))
        for routes_of_method in self._by_method.values():
            routes_of_method.sort(key=lambda route: _specificity(route[2]))

    def match(self, method: str, raw_path: str) -> tuple[Handler, dict[str, str]] | None:
        """The handler and decoded path parameters for a request, or None."""
        for pattern, handler, _ in self._by_method.get(method, ()):
            found = pattern.match(raw_path)
            if found is not None:
                return handler, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


def _specificity(template: str) -> tuple[int, ...]:
    # Sorting by this puts literal segments first, segment by segment (the sort is stable).
    return tuple(1 if part.startswith("{") else 0 for part in template.strip("/").split("/"))
