"""The route table: v1, v2 and v3 paths with their methods, handlers and reported versions."""

from __future__ import annotations

import functools
from typing import Any

from asyncdam.emulator.phraseanet import (
    routes_admin as adm,
)
from asyncdam.emulator.phraseanet import (
    routes_baskets as b,
)
from asyncdam.emulator.phraseanet import (
    routes_databoxes as db,
)
from asyncdam.emulator.phraseanet import (
    routes_feeds as f,
)
from asyncdam.emulator.phraseanet import (
    routes_me as me,
)
from asyncdam.emulator.phraseanet import (
    routes_orders as o,
)
from asyncdam.emulator.phraseanet import (
    routes_records as rec,
)
from asyncdam.emulator.phraseanet import (
    routes_search as s,
)
from asyncdam.emulator.phraseanet import (
    routes_stories as st,
)
from asyncdam.emulator.phraseanet import (
    routes_v3 as v3,
)
from asyncdam.emulator.phraseanet import (
    uploads as up,
)
from asyncdam.emulator.phraseanet.context import Ctx, Handler
from asyncdam.emulator.phraseanet.router import ANY_METHOD, Route

V1, V2, V3 = "/api/v1", "/api/v2", "/api/v3"
G, P, D = ("GET",), ("POST",), ("DELETE",)


def _r(methods: tuple[str, ...], path: str, handler: Handler, twin: bool = False) -> Route:
    return Route(methods, path, handler, "3.0.0" if path.startswith(V3) else "2.0.0", twin)


@functools.cache
def build_routes() -> list[Route]:
    """Every route the emulator serves, in matching order."""
    rr = f"{V1}/records/{{d}}/{{r}}"
    ss = f"{V1}/stories/{{d}}/{{s}}"
    return [
        _r(G, f"{V1}/databoxes/list/", db.databoxes_list),
        _r(G, f"{V1}/databoxes/{{d}}/collections/", db.databox_collections, True),
        _r(G, f"{V1}/databoxes/{{d}}/status/", db.databox_status, True),
        _r(G, f"{V1}/databoxes/{{d}}/metadatas/", db.databox_metadatas, True),
        _r(G, f"{V1}/databoxes/{{d}}/termsOfUse/", db.databox_terms, True),
        _r(G, f"{V1}/collections/{{base_id}}/", db.collection_get, True),
        _r(ANY_METHOD, f"{V1}/search/", s.search_v1),
        _r(ANY_METHOD, f"{V1}/records/search/", s.records_search_v1),
        _r(P, f"{V1}/records/add/", up.records_add),
        _r(G, f"{rr}/", rec.record_get, True),
        _r(D, f"{rr}/", rec.record_delete, True),
        _r(G, f"{rr}/caption/", rec.record_caption, True),
        _r(G, f"{rr}/metadatas/", rec.record_metadatas, True),
        _r(G, f"{rr}/status/", rec.record_status, True),
        _r(G, f"{rr}/related/", rec.record_related, True),
        _r(G, f"{rr}/embed/", rec.record_embed, True),
        _r(P, f"{rr}/setmetadatas/", rec.record_setmetadatas, True),
        _r(P, f"{rr}/setstatus/", rec.record_setstatus, True),
        _r(P, f"{rr}/setcollection/", rec.record_setcollection, True),
        _r(P, f"{V1}/stories", st.stories_create),
        _r(G, f"{ss}/", st.story_get, True),
        _r(G, f"{ss}/embed/", st.story_embed, True),
        _r(P, f"{ss}/addrecords", st.story_addrecords),
        _r(D, f"{ss}/delrecords", st.story_delrecords),
        _r(P, f"{ss}/setcover", st.story_setcover),
        _r(G, f"{V1}/baskets/list/", b.baskets_list),
        _r(P, f"{V1}/baskets/add/", b.basket_add),
        _r(G, f"{V1}/baskets/{{id}}/content/", b.basket_content),
        _r(P, f"{V1}/baskets/{{id}}/setname/", b.basket_setname),
        _r(P, f"{V1}/baskets/{{id}}/setdescription/", b.basket_setdescription),
        _r(P, f"{V1}/baskets/{{id}}/delete/", b.basket_delete),
        _r(G, f"{V1}/feeds/list/", f.feeds_list),
        _r(G, f"{V1}/feeds/content/", f.feeds_aggregated),
        _r(G, f"{V1}/feeds/{{id}}/content/", f.feed_content),
        _r(G, f"{V1}/feeds/entry/{{id}}/", f.feed_entry),
        _r(G, f"{V1}/quarantine/list/", f.quarantine_list),
        _r(G, f"{V1}/quarantine/item/{{id}}/", f.quarantine_get),
        _r(G, f"{V1}/me/", db.me),
        _r(D, f"{V1}/me/", me.delete_account),
        _r(G, f"{V1}/me/structures/", db.me_structures),
        _r(G, f"{V1}/me/subdefs/", db.me_subdefs),
        _r(G, f"{V1}/me/collections/", db.me_collections),
        _r(("POST",), f"{V1}/me/update-account/", me.update_account),
        _r(("POST",), f"{V1}/me/update-password/", me.update_password),
        _r(("POST",), f"{V1}/me/request-collections/", me.request_collections),
        _r(P, f"{V1}/upload/enqueue/", me.upload_enqueue),
        _r(P, f"{V1}/embed/substitute/", up.substitute),
        _r(P, f"{V1}/accounts/reset-password/{{any_email}}/", adm.account_reset_password),
        _r(P, f"{V1}/accounts/update-password/{{any_token}}/", adm.account_update_password),
        _r(P, f"{V1}/accounts/access-demand/", adm.account_access_demand),
        _r(P, f"{V1}/accounts/unlock/{{any_token}}/", adm.account_unlock),
        _r(G, f"{V1}/monitor/scheduler/", adm.monitor_scheduler),
        _r(G, f"{V1}/monitor/tasks/", adm.monitor_tasks),
        _r(G, f"{V1}/monitor/phraseanet/", adm.monitor_phraseanet),
        _r(("GET", "POST"), f"{V1}/monitor/task/{{id}}/", adm.monitor_task),
        _r(P, f"{V1}/monitor/task/{{id}}/start/", adm.monitor_task_start),
        _r(P, f"{V1}/monitor/task/{{id}}/stop/", adm.monitor_task_stop),
        _r(("POST", "DELETE"), f"{V2}/baskets/{{id}}/records/", _basket_records),
        _r(("PUT",), f"{V2}/baskets/{{id}}/records/reorder", b.basket_reorder),
        _r(ANY_METHOD, f"{V2}/search/", s.search_v2),
        _r(D, f"{V2}/quarantine/", f.quarantine_empty),
        _r(D, f"{V2}/quarantine/item/{{id}}/", f.quarantine_deny),
        _r(P, f"{V2}/quarantine/item/{{id}}/add/", up.quarantine_accept),
        _r(("GET", "POST"), f"{V2}/orders/", _orders),
        _r(G, f"{V2}/orders/{{id}}", o.order_get),
        _r(P, f"{V2}/orders/{{id}}/accept", o.order_accept),
        _r(P, f"{V2}/orders/{{id}}/deny", o.order_deny),
        _r(G, f"{V2}/orders/{{id}}/archive", o.order_archive),
        _r(ANY_METHOD, f"{V3}/search/", s.search_v3),
        _r(ANY_METHOD, f"{V3}/searchraw/", s.searchraw_v3),
        _r(ANY_METHOD, f"{V3}/hello/", v3.hello),
        _r(("GET", "PATCH"), f"{V3}/records/{{d}}/{{r}}/", _v3_record),
        _r(P, f"{V3}/records/{{base_id}}/", up.record_create_v3),
        _r(G, f"{V3}/stories/{{d}}/{{s}}/", v3.story_get),
        _r(G, f"{V3}/stories/{{d}}/{{s}}/children/", v3.story_children),
        _r(G, f"{V3}/databoxes/subdefs/", v3.all_subdefs),
        _r(G, f"{V3}/databoxes/{{d}}/subdefs/", v3.databox_subdefs),
        _r(G, f"{V3}/monitor/data/", adm.monitor_data_v3),
        _r(G, f"{V3}/databoxes/{{d}}/monitor/data/", adm.databox_monitor_data_v3),
        # Served by the v1 bad-request helper, hence the 2.0.0 version on a v3 path.
        Route(ANY_METHOD, f"{V3}/records/{{any}}/{{any2}}/setmetadatas/", v3.setmetadatas_gone),
    ]


async def _basket_records(ctx: Ctx) -> Any:
    if ctx.request.method == "POST":
        return await b.basket_records_add(ctx)
    return await b.basket_records_remove(ctx)


async def _orders(ctx: Ctx) -> Any:
    if ctx.request.method == "POST":
        return await o.order_create(ctx)
    return await o.orders_list(ctx)


async def _v3_record(ctx: Ctx) -> Any:
    if ctx.request.method == "PATCH":
        return await v3.record_patch(ctx)
    return await v3.record_get(ctx)
