"""The spec-driven handler: every operation of the merged spec index that no hand-built route
serves, answered statefully from the spec's own facts.

The kind of each operation comes from its method and path shape (`spec_model`): a list, create,
show, update or delete on a collection, or an action on an item, a collection or a one-of-a-kind
object. Bodies are checked against the request schema (422 "Validation Failed" with the failing
fields), answers built from the response schema (`spec_values`), data kept by `spec_store`.
Auth, quota, the concurrency cap, ETag/304 and the write-scope check come from the app's gate and
dispatcher, as for every route; lists page with the same `Link` and `Pagination` headers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from asyncdam.emulator.phrase.context import ApiError, Ctx, Reply, json_reply, message
from asyncdam.emulator.phrase.router import Handler, Router, RouteSpec
from asyncdam.emulator.phrase.spec_model import (
    SpecOp,
    SpecTable,
    is_param,
    normalize,
    resource_name,
    spec_table,
)
from asyncdam.emulator.phrase.spec_store import NOUN, Place, Record, SpecStore, new_record
from asyncdam.emulator.phrase.spec_values import Seed, check_body, render
from asyncdam.emulator.phrase.web import iso, paginate, read_form, validation_failed, wrote

# What an action's verb does to the fields its answer declares (a field is only set when the
# schema has it and allows the value).
VERB_FIELDS: dict[str, dict[str, Any]] = {
    "activate": {"active": True, "enabled": True, "state": "active", "status": "active"},
    "deactivate": {"active": False, "enabled": False, "state": "inactive", "status": "inactive"},
    "lock": {"locked": True},
    "unlock": {"locked": False},
    "publish": {"state": "published", "status": "published"},
    "confirm": {"state": "confirmed", "status": "confirmed"},
    "complete": {"completed": True, "state": "completed"},
    "complete_review": {"reviewed": True, "completed": True, "state": "completed"},
    "reopen": {"completed": False, "reviewed": False, "state": "in_progress"},
    "dismiss": {"dismissed": True, "state": "dismissed"},
    "mark_as_read": {"read": True, "unread": False},
    "mark_all_as_read": {"read": True, "unread": False},
    "mark_as_unread": {"read": False, "unread": True},
}


# Suffixes the spec gives the fuller form of a schema (`job` -> `job_details`).
DETAIL_SUFFIXES = ("", "_details", "_detail", "_with_user", "_with_stats")


def same_resource(a: str, b: str) -> bool:
    """Whether two schema names name one resource (`job` and `job_details`, not `job_locale`)."""
    if not (a and b):
        return False
    return any(a + s == b or b + s == a for s in DETAIL_SUFFIXES)


class SpecHandler:
    """Serves `served`: the operations of `table` that `built` does not route."""

    def __init__(self, table: SpecTable, built: Router) -> None:
        """Index the operations left to serve and the lookups they need."""
        self.table = table
        self.schemas = table.schemas
        self.store = SpecStore(table, built)
        taken = {(m, normalize(t)) for m, t in built.templates}
        self.served = tuple(op for op in table.ops if (op.method, op.norm) not in taken)

    def routes(self) -> list[RouteSpec]:
        """A route for every served operation."""
        return [(op.method, op.template, self._handler(op)) for op in self.served]

    def _handler(self, op: SpecOp) -> Handler:
        async def handle(ctx: Ctx) -> Reply:
            return await self.handle(ctx, op)

        handle.__doc__ = f"{op.method} {op.template} ({op.op_id}), served from the spec."
        return handle

    async def handle(self, ctx: Ctx, op: SpecOp) -> Reply:
        """Answer one request for `op`."""
        place = await self.store.place(ctx, op)
        fields = await self._fields(ctx, op)
        if op.kind == "list":
            return self._list(ctx, op, place)
        if op.kind == "create":
            return await self._create(ctx, op, place, fields)
        if op.kind in ("show", "update", "delete"):
            return self._item(ctx, op, place, fields)
        return await self._action(ctx, op, place, fields)

    async def _fields(self, ctx: Ctx, op: SpecOp) -> Record:
        for param in op.query:
            value = ctx.q(param.name)
            if param.required and (value is None or not value.strip()):
                raise message(400, f"param is missing or the value is empty: {param.name}")
        if op.body is None:
            return {}
        args = await read_form(ctx) if op.body_type == "multipart" else dict(ctx.json())
        clean, errors = check_body(self.schemas, op.body, args)
        if errors:
            raise validation_failed(op.resource, errors)
        clean.pop("branch", None)  # it chose the data; it is no field of the item
        return clean

    def _answer(self, ctx: Ctx, op: SpecOp, place: Place, record: Record, status: int) -> Reply:
        if op.response is None:
            return Reply(status=status)
        return json_reply(self._render(ctx, op, place, op.response, record), status)

    def _render(
        self,
        ctx: Ctx,
        op: SpecOp,
        place: Place,
        schema: Any,
        record: Record,
        known: Record | None = None,
    ) -> Any:
        seed = Seed(
            key=str(record.get("id", "")),
            created=str(record.get("created_at") or iso(ctx.now)),
            updated=str(record.get("updated_at") or iso(ctx.now)),
            resource=str(record.get(NOUN) or op.resource),
            known=known if known is not None else self.store.known(ctx, op, place),
        )
        return render(self.schemas, schema, record, seed)

    def _list(self, ctx: Ctx, op: SpecOp, place: Place) -> Reply:
        coll = self.table.collections.get(op.norm)
        records = list(self.store.items(ctx, coll, place, len(place.segs)).values())
        schema = op.response.get("items", {}) if op.response else {}
        known = self.store.known(ctx, op, place)  # the same for every item of the page

        def one(record: Record) -> Any:
            return self._render(ctx, op, place, schema, record, known)

        if op.paged:
            return paginate(ctx, records, one, link=op.method == "GET")
        return json_reply([one(record) for record in records], op.status)

    async def _create(self, ctx: Ctx, op: SpecOp, place: Place, fields: Record) -> Reply:
        coll = self.table.collections[op.norm]
        items = self.store.items(ctx, coll, place, len(place.segs), keep=True)
        keys, field = self._new_keys(ctx, coll.item_param, coll.key_field, fields)
        # A name is taken once; adding a member (an id the caller names) again changes nothing.
        if coll.key_field == "name" and any(key in items for key in keys if key is not None):
            raise validation_failed(op.resource, [(field, "has already been taken")])
        record: Record = {}
        for key in keys:
            by_id = key is not None and coll.key_field == "id"
            old = items.get(key) if key is not None else None
            if old is None:
                member = await self._member(ctx, op, key, field) if by_id else {}
                record = new_record(ctx, op.resource, {**member, **fields}, key if by_id else None)
                items[key if key is not None else record["id"]] = record
            else:
                record = old
        wrote(ctx)
        return self._answer(ctx, op, place, record, op.status)

    async def _member(self, ctx: Ctx, op: SpecOp, key: str | None, field: str) -> Record:
        # Adding an existing resource by id (a project to a space): it must exist, and the
        # member answers as that resource does.
        word = op.segments[-1]
        if key is None or normalize(f"/{word}/{{x}}") not in self.store.built_gets:
            return {}
        try:
            return await self.store.built_get_path(ctx, f"/{word}/{quote(key, safe='')}")
        except ApiError:
            raise validation_failed(op.resource, [(field, "is invalid")]) from None

    def _new_keys(
        self, ctx: Ctx, param: str, key_field: str, fields: Record
    ) -> tuple[list[str | None], str]:
        # Items addressed by a caller-chosen value: a name (variables), the id of what is added
        # (memberships: `id` in the body or, where the spec lost it from the path, the query),
        # or several at once (`child_key_ids` for `{child_key_id}`).
        for field in dict.fromkeys((param, key_field, "id")):
            value = fields.get(field) if field in fields else ctx.q(field)
            if isinstance(value, str) and value:
                return [value], field
        many = fields.get(param + "s")
        if isinstance(many, list) and many and all(isinstance(v, str) and v for v in many):
            return list(dict.fromkeys(many)), param + "s"
        return [None], param

    def _item(self, ctx: Ctx, op: SpecOp, place: Place, fields: Record) -> Reply:
        pos = len(place.segs) - 1
        coll = self.store.collection(op, pos)
        items, key, record = self.store.item(ctx, coll, place, pos)
        if op.kind == "show":
            return self._answer(ctx, op, place, record, op.status)
        if op.kind == "delete":
            del items[key]
            self.store.drop_below(ctx, place, pos + 1)
            wrote(ctx)
            return self._answer(ctx, op, place, record, op.status)
        param = coll.key_field if coll is not None else "id"
        renamed = fields.get(param) if param == "name" else None
        if isinstance(renamed, str) and renamed != key:
            if renamed in items:
                raise validation_failed(op.resource, [(param, "has already been taken")])
            items[renamed] = items.pop(key)
        record.update(fields)
        record["updated_at"] = iso(ctx.now)
        wrote(ctx)
        return self._answer(ctx, op, place, record, op.status)

    async def _action(self, ctx: Ctx, op: SpecOp, place: Place, fields: Record) -> Reply:
        n = len(place.segs)
        if op.response is not None and op.response.get("type") == "array":
            return self._collection_action(ctx, op, place, fields)
        target: Record | None = None
        mutable = True
        pos = n - 1 if is_param(op.segments[-1]) else n - 2
        if pos >= 1 and is_param(op.segments[pos]):
            target, mutable = await self._on_item(ctx, op, place, pos, fields)
        if target is None:
            target, mutable = self._singleton(ctx, place, n, op.resource), True
            if op.method == "DELETE":
                ctx.store.singletons.pop(place.key(n), None)
        if op.method != "GET":
            if mutable:
                self._apply(op, target, fields, ctx.now)
            wrote(ctx)
        return self._answer(ctx, op, place, target, op.status)

    async def _on_item(
        self, ctx: Ctx, op: SpecOp, place: Place, pos: int, fields: Record
    ) -> tuple[Record | None, bool]:
        # An action on an item answers the item itself (`webhook/test`), or an item it adds to
        # one of the item's collections (`repo_sync/import` -> an event in `.../events`).
        coll = self.store.collection(op, pos)
        parent_norm = normalize("/" + "/".join(op.segments[: pos + 1]))
        if parent_norm in self.store.built_gets:
            parent, mutable = await self.store.built_get(ctx, place, pos + 1), False
        else:
            parent, mutable = self.store.item(ctx, coll, place, pos)[2], True
        if op.response is None or (coll and same_resource(coll.item_ref, op.response_ref)):
            return parent, mutable
        for child in self.table.collections.values():
            head, _, word = child.norm.rpartition("/")
            if head == parent_norm and same_resource(child.item_ref, op.response_ref):
                key = place.key_for([*place.segs[: pos + 1], word])
                items = self.store.items_at(ctx, child, key, keep=True)
                record = new_record(ctx, resource_name(child.norm.split("/")), {})
                items[record["id"]] = record
                return record, True
        return None, True

    def _collection_action(self, ctx: Ctx, op: SpecOp, place: Place, fields: Record) -> Reply:
        n = len(place.segs)
        coll = self.table.collections.get(normalize("/" + "/".join(op.segments[:-1])))
        records = list(self.store.items(ctx, coll, place, n - 1, keep=True).values())
        if op.method != "GET":
            for record in records:
                self._apply(op, record, fields, ctx.now)
            wrote(ctx)
        schema = op.response.get("items", {}) if op.response else {}
        known = self.store.known(ctx, op, place)
        rendered = [self._render(ctx, op, place, schema, r, known) for r in records]
        return json_reply(rendered, op.status)

    def _singleton(self, ctx: Ctx, place: Place, upto: int, noun: str) -> Record:
        key = place.key(upto)
        record = ctx.store.singletons.get(key)
        if record is None:
            record = ctx.store.singletons[key] = new_record(ctx, noun, {})
        return record

    def _apply(self, op: SpecOp, record: Record, fields: Record, now: float) -> None:
        record.update(fields)
        verb = op.segments[-1]
        changes = VERB_FIELDS.get(verb, {})
        if verb == "read":
            changes = {"read": op.method != "DELETE", "unread": op.method == "DELETE"}
        schema = op.response or {}
        if schema.get("type") == "array":
            schema = self.schemas.resolve(schema.get("items", {}))
        props = schema.get("properties", {})
        for name, value in changes.items():
            if name not in props:
                continue
            sub = self.schemas.resolve(props[name])
            enum = sub.get("enum")
            expected = "boolean" if isinstance(value, bool) else "string"
            if sub.get("type") == expected and (not enum or value in enum):
                record[name] = value
        record["updated_at"] = iso(now)


def spec_handler(built: Router, table: SpecTable | None = None) -> SpecHandler:
    """The handler for every operation of the merged index that `built` leaves out."""
    return SpecHandler(table if table is not None else spec_table(), built)
