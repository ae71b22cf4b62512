"""Nested resources (`/Files/7/Keywords` ...) and the expansions that embed them in parents.

PUT replaces a nested list, POST appends, DELETE removes (one by `/{childId}` or several by a
`[{"id"}]` body); each answers with the full resulting list. Custom field values are the one
exception to "replace": PUT sets the values of the fields it names and leaves the others.
"""

from __future__ import annotations

from typing import Any

import attrs

from asyncdam.emulator.openasset.coerce import link_entries
from asyncdam.emulator.openasset.errors import ApiError
from asyncdam.emulator.openasset.render import Ctx, size_output
from asyncdam.emulator.openasset.schema import V8_1_11, Version
from asyncdam.emulator.openasset.seed import now_dt, size_entry
from asyncdam.emulator.openasset.store import Record, Store

ALL = frozenset({"GET", "PUT", "POST", "DELETE"})


@attrs.frozen
class NestedSpec:
    """One nested path: how its entries are kept, its verbs, its expansion name."""

    kind: str  # link | reverse | lookup | results | project_files
    child_noun: str
    expansion: str | None
    verbs: frozenset[str]
    gated: frozenset[str] = frozenset()  # verbs that need >= 8.1.11


NESTED: dict[tuple[str, str], NestedSpec] = {
    ("Albums", "Files"): NestedSpec("link", "Files", "files", ALL, ALL),
    ("Albums", "Groups"): NestedSpec("link", "Groups", "groups", frozenset({"GET", "PUT"}), ALL),
    ("Albums", "Users"): NestedSpec("link", "Users", "users", frozenset({"GET", "PUT"}), ALL),
    ("Files", "Fields"): NestedSpec(
        "link", "Fields", "fields", frozenset({"GET", "PUT"}), frozenset({"PUT"})
    ),
    ("Files", "Keywords"): NestedSpec(
        "link", "Keywords", "keywords", ALL, frozenset({"POST", "DELETE"})
    ),
    ("Files", "Sizes"): NestedSpec("link", "Sizes", "sizes", frozenset({"GET", "PUT"})),
    ("Files", "Albums"): NestedSpec("reverse", "Albums", "albums", frozenset({"GET"})),
    ("Projects", "ProjectKeywords"): NestedSpec(
        "link", "ProjectKeywords", "projectKeywords", ALL, frozenset({"POST", "DELETE"})
    ),
    ("Projects", "Fields"): NestedSpec(
        "link", "Fields", "fields", frozenset({"GET", "PUT"}), frozenset({"PUT"})
    ),
    ("Projects", "Files"): NestedSpec("project_files", "Files", None, frozenset({"GET"})),
    ("Fields", "FieldLookupStrings"): NestedSpec(
        "lookup", "FieldLookupStrings", "fieldLookupStrings", ALL
    ),
    ("Searches", "Groups"): NestedSpec("link", "Groups", "groups", frozenset({"GET", "PUT"}), ALL),
    ("Searches", "Users"): NestedSpec("link", "Users", "users", frozenset({"GET", "PUT"}), ALL),
    ("Searches", "Results"): NestedSpec("results", "Files", "results", frozenset({"GET", "POST"})),
    ("Groups", "Users"): NestedSpec("link", "Users", "users", ALL),
    ("Users", "Groups"): NestedSpec("reverse", "Groups", "groups", frozenset({"GET"})),
    ("Keywords", "Files"): NestedSpec("reverse", "Files", None, frozenset({"GET", "POST"})),
    # Seen in SDKs and scripts only ([obs][?] in the fact sheet): the people on files/projects.
    ("Files", "Employees"): NestedSpec("link", "Employees", "employees", ALL, ALL),
    ("Projects", "Employees"): NestedSpec("link", "Employees", "employees", ALL, ALL),
    ("Employees", "Files"): NestedSpec("reverse", "Files", "files", frozenset({"GET"})),
    ("Employees", "Projects"): NestedSpec("reverse", "Projects", "projects", frozenset({"GET"})),
}
# Where a reverse view reads from: (parent, child) -> the forward link table.
REVERSE_OF = {
    ("Files", "Albums"): ("Albums", "Files"),
    ("Users", "Groups"): ("Groups", "Users"),
    ("Keywords", "Files"): ("Files", "Keywords"),
    ("Employees", "Files"): ("Files", "Employees"),
    ("Employees", "Projects"): ("Projects", "Employees"),
}


def expansions(parent: str) -> dict[str, str]:
    """Expansion parameter name -> nested child name, for one parent noun."""
    return {s.expansion: child for (p, child), s in NESTED.items() if p == parent and s.expansion}


def check_gate(spec: NestedSpec, method: str, version: Version) -> None:
    """Before 8.1.11 many nested paths did not exist: such a server answers 400."""
    if method in spec.gated and version < V8_1_11:
        raise ApiError(400, "Not a valid URL.")


def _results(store: Store, search: Record) -> list[Record]:
    files = store.table("Files")
    chosen: set[int] | None = None
    for item in search.get("search_items") or []:
        if not isinstance(item, dict):
            continue
        code = str(item.get("code", ""))
        ids = {i for i in item.get("ids") or [] if isinstance(i, int)}
        if code == "project":
            hits = {f["id"] for f in files.values() if f["project_id"] in ids}
        elif code.startswith("keyword"):
            links = store.links[("Files", "Keywords")]
            hits = {fid for fid, es in links.items() if any(e["id"] in ids for e in es)}
        elif code in ("filename", "originalFilename", "caption"):
            words = [str(v).casefold() for v in item.get("values") or []]
            key = {"originalFilename": "original_filename"}.get(code, code)
            hits = {
                f["id"] for f in files.values() if any(w in str(f[key]).casefold() for w in words)
            }
        else:
            continue
        if item.get("exclude"):
            hits = set(files) - hits
        chosen = hits if chosen is None else chosen & hits
    found = sorted(chosen if chosen is not None else files)
    return [{"file_id": i} for i in found if files[i]["alive"]]


def read_list(parent: str, child: str, pid: int, ctx: Ctx) -> list[Record]:
    """The current nested list of one parent row, in output form."""
    spec = NESTED[(parent, child)]
    store = ctx.store
    if spec.kind == "link":
        entries = [dict(e) for e in store.link(parent, child, pid)]
        if child == "Sizes":
            return [size_output(e, ctx) for e in entries]
        return entries
    if spec.kind == "reverse":
        table = store.links[REVERSE_OF[(parent, child)]]
        out: list[Record] = []
        for other, entries in table.items():
            for entry in entries:
                if entry["id"] == pid:
                    extra = {"can_modify": entry["can_modify"]} if "can_modify" in entry else {}
                    out.append({"id": other, **extra})
        return out
    if spec.kind == "lookup":
        rows = [dict(r) for r in store.table(child).values() if r["field_id"] == pid]
        return sorted(rows, key=lambda r: (r["display_order"], r["id"]))
    if spec.kind == "results":
        search = store.get(parent, pid)
        return _results(store, search) if search else []
    return [dict(f) for f in store.table("Files").values() if f["project_id"] == pid]


def _validate(entries: list[Record], spec: NestedSpec, store: Store) -> None:
    table = store.table(spec.child_noun)
    for entry in entries:
        if entry["id"] not in table:
            raise ApiError(400, f"Invalid id {entry['id']} for {spec.child_noun}")


def _regenerate(store: Store, file: Record, entries: list[Record], wanted: list[Record]) -> None:
    """Create missing sizes; re-create listed ones when they carry `recreate: 1`."""
    sizes = store.table("Sizes")
    have = {e["id"]: e for e in entries}
    content = store.contents.get(file["id"])
    for item in wanted:
        old = have.get(item["id"])
        if old is not None and not item.get("recreate"):
            continue
        if old is not None:
            length = int(old["filesize"])
        elif content is not None:
            length = len(content) if item["id"] == 1 else max(16, len(content) // 4)
        else:
            length = 256 + file["id"] % 512
        fresh = size_entry(file, sizes[item["id"]], length)
        if old is None:
            entries.append(fresh)
        else:
            old.update(fresh)


def write_list(parent: str, child: str, pid: int, method: str, body: Any, ctx: Ctx) -> None:
    """Apply PUT (replace), POST (append) or DELETE (remove) to a nested list."""
    spec = NESTED[(parent, child)]
    store = ctx.store
    raw = body if isinstance(body, list) else [body]
    if spec.kind == "lookup":
        _write_lookup(pid, method, raw, ctx)
        return
    entries = link_entries(raw, spec.child_noun)
    _validate(entries, spec, store)
    if spec.kind == "reverse":  # POST /Keywords/{id}/Files: tag many files at once
        for entry in entries:
            tags = store.link("Files", "Keywords", entry["id"])
            if all(t["id"] != pid for t in tags):
                tags.append({"id": pid})
        return
    current = store.link(parent, child, pid)
    if child == "Sizes":
        file = store.get("Files", pid)
        if file is not None:
            _regenerate(store, file, current, entries)
        return
    if method == "DELETE":
        drop = {e["id"] for e in entries}
        current[:] = [e for e in current if e["id"] not in drop]
        return
    if child == "Fields" and method == "PUT":
        by_id = {e["id"]: e for e in current}
        for entry in entries:
            by_id[entry["id"]] = entry
        current[:] = sorted((e for e in by_id.values() if e["values"]), key=lambda e: e["id"])
        return
    if method == "PUT":
        current.clear()
    known = {e["id"]: e for e in current}
    for entry in entries:
        if child == "Files" and parent == "Albums":
            entry.setdefault("display_order", len(current))
        if entry["id"] in known:
            known[entry["id"]].update(entry)
        else:
            current.append(entry)
            known[entry["id"]] = entry
    parent_row = store.get(parent, pid)
    if parent_row is not None and "updated" in parent_row:
        parent_row["updated"] = now_dt()


def as_int(raw: Any) -> int:
    """An id or number from JSON (ints may arrive as strings); ApiError(400) otherwise."""
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ApiError(400, f"Invalid number {raw!r}") from None


def _write_lookup(field_id: int, method: str, raw: list[Any], ctx: Ctx) -> None:
    store = ctx.store
    table = store.table("FieldLookupStrings")
    items = [i for i in raw if isinstance(i, dict)]
    if len(items) != len(raw):
        raise ApiError(400, "Expected JSON objects")
    if method == "DELETE":
        for item in items:
            row = table.get(as_int(item.get("id")))
            if row is not None and row["field_id"] == field_id:
                store.delete("FieldLookupStrings", row["id"])
        return
    keep: set[int] = set()
    for item in items:
        row = table.get(as_int(item["id"])) if "id" in item else None
        if row is not None and row["field_id"] == field_id:
            row["value"] = str(item.get("value", row["value"]))
            row["display_order"] = as_int(item.get("display_order", row["display_order"]))
        else:
            if not str(item.get("value", "")):
                raise ApiError(400, "Missing required field value")
            order = as_int(item.get("display_order", 0))
            row = store.insert(
                "FieldLookupStrings",
                {"value": str(item["value"]), "display_order": order, "field_id": field_id},
            )
        keep.add(row["id"])
    if method == "PUT":
        for row in [r for r in table.values() if r["field_id"] == field_id]:
            if row["id"] not in keep:
                store.delete("FieldLookupStrings", row["id"])


def remove_one(parent: str, child: str, pid: int, child_id: int, ctx: Ctx) -> None:
    """DELETE /<Parent>/{id}/<Child>/{childId}."""
    spec = NESTED[(parent, child)]
    if spec.kind == "lookup":
        row = ctx.store.get(child, child_id)
        if row is None or row["field_id"] != pid:
            raise ApiError(404, "Requested object not found")
        ctx.store.delete(child, child_id)
        return
    current = ctx.store.link(parent, child, pid)
    if all(e["id"] != child_id for e in current):
        raise ApiError(404, "Requested object not found")
    current[:] = [e for e in current if e["id"] != child_id]


def embed(parent: str, row: Record, pid: int, ctx: Ctx, wanted: dict[str, str]) -> None:
    """Add the expansions the client asked for (`all` or an id list) to one output row."""
    for exp, raw in wanted.items():
        child = expansions(parent)[exp]
        items = read_list(parent, child, pid, ctx)
        if raw.strip().lower() != "all":
            ids = {int(p) for p in raw.split(",") if p.strip().isdigit()}
            key = "file_id" if child == "Results" else "id"
            items = [i for i in items if i.get(key) in ids]
        row[exp] = items
