"""The search engine stand-in: filtering, sorting and facets over the in-memory records."""

from __future__ import annotations

import json
import random
import zlib
from collections import Counter
from datetime import datetime
from typing import Any

from asyncdam.emulator.phraseanet.envelope import ApiError
from asyncdam.emulator.phraseanet.params import PhpValue, get_list, get_map, get_str
from asyncdam.emulator.phraseanet.store import Record, Store

MAX_RESULT_WINDOW = 500_000


def _text(rec: Record) -> str:
    return (rec.title + " " + " ".join(v for _, v in rec.metas.values())).lower()


def _date(text: str | None) -> int | None:
    if not text:
        return None
    for fmt in ("%Y/%m/%d", "%Y-%m-%d"):
        try:
            return int(datetime.strptime(text, fmt).astimezone().timestamp())
        except ValueError:
            continue
    return None


_FILTER_KEYS = ("bases", "query", "record_type", "status", "date_min", "date_max", "sort", "ord")
_CACHE_SIZE = 64


def select(store: Store, params: dict[str, PhpValue], stories: bool, seed: int) -> list[Record]:
    """All hits for the search parameters, in engine order (cached until the next write)."""
    if store.cache_generation != store.generation:
        store.search_cache.clear()
        store.cache_generation = store.generation
    key = json.dumps([stories, [params.get(k) for k in _FILTER_KEYS]], sort_keys=True)
    hits = store.search_cache.get(key)
    if hits is None:
        hits = _select(store, params, stories, seed)
        if len(store.search_cache) >= _CACHE_SIZE:
            store.search_cache.pop(next(iter(store.search_cache)))
        store.search_cache[key] = hits
    return hits


def _select(store: Store, params: dict[str, PhpValue], stories: bool, seed: int) -> list[Record]:
    searchable = set(store.searchable_bases())
    asked = get_list(params, "bases")
    bases = searchable
    if asked:
        bases = searchable & {int(b) for b in asked if b.isdigit()}
        if not bases:
            raise ApiError(400, "No collections match your criteria")
    query = (get_str(params, "query") or "").strip().lower()
    words = [] if query in ("", "all") else query.split()
    record_type = get_str(params, "record_type")
    status = get_map(params, "status") or {}
    date_min = _date(get_str(params, "date_min"))
    date_max = _date(get_str(params, "date_max"))
    hits = []
    for rec in store.records.values():
        if rec.is_story != stories or rec.base_id not in bases:
            continue
        if record_type and rec.phrasea_type != record_type:
            continue
        if words:
            text = _text(rec)
            if not all(w in text for w in words):
                continue
        if status and any(
            k.isdigit() and v in ("0", "1") and (rec.status >> int(k) & 1) != int(v)
            for k, v in status.items()
        ):
            continue
        if date_min is not None and rec.created_on < date_min:
            continue
        if date_max is not None and rec.created_on >= date_max + 86_400:
            continue
        hits.append(rec)
    return _sort(hits, params, seed, query)


def _sort(hits: list[Record], params: dict[str, PhpValue], seed: int, query: str) -> list[Record]:
    sort = get_str(params, "sort") or "relevance"
    desc = (get_str(params, "ord") or "desc").lower() != "asc"
    if sort == "random":
        rng = random.Random(zlib.crc32(f"{seed}:{query}".encode()))
        hits.sort(key=lambda r: r.key)
        rng.shuffle(hits)
        return hits
    if sort in ("created_on", "updated_on"):
        hits.sort(key=lambda r: (getattr(r, sort), r.key), reverse=desc)
        return hits
    if sort != "relevance":
        hits.sort(key=lambda r: (_field_value(r, sort), r.key), reverse=desc)
        return hits
    # Equal scores for this engine: the index order breaks the tie.
    hits.sort(key=lambda r: r.key)
    return hits


def _field_value(rec: Record, name: str) -> str:
    for _, (sid, value) in sorted(rec.metas.items()):
        if {1: "title", 3: "description", 2: "keywords"}.get(sid) == name.lower():
            return value
    return ""


def facets(store: Store, hits: list[Record]) -> list[dict[str, Any]]:
    """A collection facet over all hits."""
    counts = Counter(r.base_id for r in hits)
    values = [
        {
            "value": store.collections[b].name,
            "raw_value": store.collections[b].name,
            "count": n,
            "query": f"collection:{store.collections[b].name}",
        }
        for b, n in sorted(counts.items())
    ]
    return [{"name": "_base", "field": "collection", "values": values}] if values else []


def check_window(offset: int, size: int) -> None:
    """Negative offsets and pages past the index window fail inside the engine (500)."""
    if offset < 0 or size < 0 or offset + size > MAX_RESULT_WINDOW:
        raise ApiError(500, "An error occurred")
