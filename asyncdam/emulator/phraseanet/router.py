"""Route table matching with the real server's answers for slashes, methods and bad ids."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from asyncdam.emulator.phraseanet.context import Handler

ANY_METHOD = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(slots=True)
class Route:
    """One route: methods, full path template, handler, reported api_version, id-twin flag."""

    methods: tuple[str, ...]
    template: str
    handler: Handler
    version: str = "2.0.0"
    twin: bool = False
    strict: re.Pattern[str] = field(init=False)
    loose: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.strict = _compile(self.template, r"\d+")
        self.loose = _compile(self.template, r"[^/]+")

    def allows(self, method: str) -> bool:
        """Whether the method is declared (HEAD rides on GET)."""
        return method in self.methods or (method == "HEAD" and "GET" in self.methods)

    @property
    def name(self) -> str:
        """A stable label for stats."""
        return f"{'|'.join(self.methods) if self.methods != ANY_METHOD else 'ANY'} {self.template}"


def _compile(template: str, id_pattern: str) -> re.Pattern[str]:
    out, pos = [], 0
    for m in _PLACEHOLDER.finditer(template):
        out.append(re.escape(template[pos : m.start()]))
        out.append(f"(?P<{m.group(1)}>{r'[^/]+' if m.group(1).startswith('any') else id_pattern})")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out))


@dataclass(slots=True)
class Match:
    """Outcome of routing: a route (maybe with bad ids), a 405, a 301 target, or nothing (404)."""

    route: Route | None = None
    params: dict[str, str] = field(default_factory=dict)
    bad_id: bool = False
    allow: tuple[str, ...] = ()
    redirect: str | None = None


class Router:
    """Ordered routes; the first declared match wins, as in Silex."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes

    def _find(self, path: str) -> tuple[list[tuple[Route, dict[str, str]]], bool]:
        strict = [(r, m.groupdict()) for r in self.routes if (m := r.strict.fullmatch(path))]
        if strict:
            return strict, False
        loose = [
            (r, m.groupdict()) for r in self.routes if r.twin and (m := r.loose.fullmatch(path))
        ]
        return loose, True

    def match(self, method: str, path: str) -> Match:
        """Route a request the way the server's URL matcher does."""
        found, bad = self._find(path)
        if found:
            for route, params in found:
                if route.allows(method):
                    return Match(route=route, params=params, bad_id=bad)
            allow: list[str] = []
            for route, _ in found:
                allow += [m for m in route.methods if m not in allow]
            return Match(allow=tuple(allow))
        if not path.endswith("/"):
            slashed, _ = self._find(path + "/")
            if slashed and method in ("GET", "HEAD"):
                return Match(redirect=path + "/")
        return Match()
