"""Turn store objects into the JSON shapes the Phraseanet API sends."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asyncdam.emulator.phraseanet.media import SUBDEFS, permalink_token, sign_jwt
from asyncdam.emulator.phraseanet.store import (
    Basket,
    Collection,
    Databox,
    Feed,
    FeedEntry,
    QuarantineItem,
    Record,
    Store,
)

LABEL_LANGS = ("en", "de", "fr", "nl")
STORY_ENTITY = "http://api.phraseanet.com/api/objects/story"
STORY_META_ENTITY = "http://api.phraseanet.com/api/objects/story-metadata-bag"
USER_ENTITY = "http://api.phraseanet.com/api/objects/user"
DC_FIELDS = (
    "contributor coverage creator date description format identifier language publisher "
    "relation rights source subject title type"
).split()


@functools.lru_cache(maxsize=65_536)
def atom(ts: int) -> str:
    """Unix seconds as DATE_ATOM in the server's offset."""
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def keyed(items: list[dict[str, Any]], key: str, as_objects: bool) -> Any:
    """PHP id-keyed arrays: an object keyed by id (current servers) or a list (older ones)."""
    if as_objects:
        return {str(item[key]): item for item in items}
    return items


@dataclass(slots=True)
class View:
    """What serialisation needs besides the object: store, host, signing secret, options."""

    store: Store
    host: str
    secret: bytes
    extended: bool = False
    url_ttl: int = 7200
    keyed_objects: bool = True

    # -- structures -------------------------------------------------------------------------

    def labels(self, name: str) -> dict[str, str]:
        """Per-language labels."""
        return {lang: name for lang in LABEL_LANGS}

    def databox(self, db: Databox) -> dict[str, Any]:
        """A databox summary."""
        return {
            "databox_id": db.databox_id,
            "name": db.name,
            "viewname": db.name.replace("_", " ").title(),
            "labels": self.labels(db.name),
            "version": "4.1.22",
        }

    def collection(self, coll: Collection) -> dict[str, Any]:
        """A collection with its record count."""
        amount = sum(1 for r in self.store.records.values() if r.base_id == coll.base_id)
        return {
            "base_id": coll.base_id,
            "databox_id": coll.databox_id,
            "collection_id": coll.collection_id,
            "name": coll.name,
            "labels": self.labels(coll.name),
            "record_amount": amount,
            "order_managers": [self.user()] if coll.order_master else [],
        }

    def status_structure(self, db: Databox) -> list[dict[str, Any]]:
        """The databox's defined status bits."""
        return [
            {
                "bit": bit,
                "label_on": f"{name} on",
                "label_off": f"{name} off",
                "labels": {"on": self.labels(f"{name} on"), "off": self.labels(f"{name} off")},
                "img_on": None,
                "img_off": None,
                "searchable": True,
                "printable": False,
            }
            for bit, name in sorted(db.status_bits.items())
        ]

    def meta_structure(self, db: Databox) -> list[dict[str, Any]]:
        """The databox's metadata fields."""
        return [
            {
                "id": f.id,
                "namespace": f.source.split(":", 1)[0],
                "source": f.source,
                "tagname": f.source.split(":", 1)[1],
                "name": f.name,
                "labels": self.labels(f.name),
                "separator": ";" if f.multivalue else "",
                "thesaurus_branch": "",
                "type": f.type,
                "indexable": True,
                "multivalue": f.multivalue,
                "readonly": False,
                "required": f.id == 1,
                "business": f.business,
                "aggregable": 0,
                "report": True,
            }
            for f in db.fields.values()
        ]

    # -- records ----------------------------------------------------------------------------

    def subdef(self, rec: Record, name: str) -> dict[str, Any]:
        """One subdefinition with a signed URL and an active permalink (cached per second)."""
        now = int(time.time())
        cache = self.store.subdef_cache
        if cache.get("second") != now:
            cache.clear()
            cache["second"] = now
        key = (rec.databox_id, rec.record_id, name, self.url_ttl, self.host, rec.updated_on)
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = self._subdef(rec, name, now)
        return dict(hit)

    def _subdef(self, rec: Record, name: str, now: int) -> dict[str, Any]:
        size, _cls, devices = SUBDEFS[name]
        claims: dict[str, Any] = {
            "iat": now,
            "iss": self.store.user.id,
            "sdef": [rec.databox_id, rec.record_id, name],
        }
        ttl = self.url_ttl if self.url_ttl >= 0 else -1
        if ttl > 0:
            claims["exp"] = now + ttl
        ext = rec.original_name.rsplit(".", 1)[-1] if name == "document" else "jpg"
        token = permalink_token(self.secret, rec.databox_id, rec.record_id, name)
        base = f"{self.host}/permalink/v1/{rec.databox_id}/{rec.record_id}/{name}/"
        url = f"{base}{rec.original_name.rsplit('.', 1)[0]}.{ext}?token={token}"
        scale = {"document": 1, "preview": 2, "thumbnail": 8}[name]
        mime = rec.mime_type if name == "document" and rec.mime_type else "image/jpeg"
        return {
            "name": name,
            "permalink": {
                "created_on": atom(rec.created_on),
                "id": rec.record_id * 10 + len(name),
                "is_activated": True,
                "label": rec.original_name.rsplit(".", 1)[0],
                "updated_on": atom(rec.updated_on),
                "page_url": f"{base}?token={token}",
                "download_url": f"{url}&download=1",
                "url": url,
            },
            "height": rec.height // scale,
            "width": rec.width // scale,
            "filesize": len(self._file(rec, name)) or size,
            "devices": devices,
            "player_type": "IMAGE" if name != "document" else rec.phrasea_type.upper(),
            "mime_type": mime,
            "substituted": (rec.databox_id, rec.record_id, name) in self.store.substituted,
            "created_on": atom(rec.created_on),
            "updated_on": atom(rec.updated_on),
            "url": f"{self.host}/medias/{sign_jwt(self.secret, claims)}",
            "url_ttl": ttl,
        }

    def _file(self, rec: Record, name: str) -> bytes:
        substitute = self.store.substituted.get((rec.databox_id, rec.record_id, name))
        return substitute if substitute is not None else self.store.uploads.get(rec.key, b"")

    def subdefs(self, rec: Record) -> list[dict[str, Any]]:
        """All subdefs the user may see (none for stories and nosubdefs uploads)."""
        if not rec.has_subdefs:
            return []
        names = ["document", "preview", "thumbnail"] if not rec.is_story else ["thumbnail"]
        return [self.subdef(rec, n) for n in names]

    def technical(self, rec: Record) -> list[dict[str, Any]]:
        """Technical information pairs (numbers or strings)."""
        if rec.is_story:
            return []
        return [
            {"name": "width", "value": rec.width},
            {"name": "height", "value": rec.height},
            {"name": "mime", "value": rec.mime_type},
        ]

    def record(self, rec: Record) -> dict[str, Any]:
        """The v1 record object (plus subdefs/metadata/status/caption in extended mode)."""
        coll = self.store.collections[rec.base_id]
        out: dict[str, Any] = {
            "databox_id": rec.databox_id,
            "record_id": rec.record_id,
            "resource_id": f"{self.store.instance}_{rec.databox_id}_{rec.record_id}",
            "mime_type": rec.mime_type,
            "title": rec.title,
            "original_name": rec.original_name,
            "updated_on": atom(rec.updated_on),
            "created_on": atom(rec.created_on),
            "collection_id": coll.collection_id,
            "base_id": rec.base_id,
            "sha256": rec.sha256,
            "thumbnail": self.subdef(rec, "thumbnail") if rec.has_subdefs else None,
            "technical_informations": self.technical(rec),
            "phrasea_type": rec.phrasea_type,
            "uuid": rec.uuid,
        }
        if self.extended:
            out["subdefs"] = self.subdefs(rec)
            out["metadata"] = self.record_metadatas(rec)
            out["status"] = self.record_status(rec)
            out["caption"] = self.caption(rec)
        return out

    def record_metadatas(self, rec: Record) -> list[dict[str, Any]]:
        """One entry per caption value."""
        fields = self.store.databoxes[rec.databox_id].fields
        return [
            {
                "meta_structure_id": sid,
                "name": fields[sid].name,
                "labels": self.labels(fields[sid].name),
                "meta_id": mid,
                "value": value,
            }
            for mid, (sid, value) in sorted(rec.metas.items())
        ]

    def caption(self, rec: Record) -> list[dict[str, Any]]:
        """Caption fields with multi-values joined by ' ; ', business fields hidden."""
        fields = self.store.databoxes[rec.databox_id].fields
        grouped: dict[int, list[str]] = {}
        for sid, value in (rec.metas[m] for m in sorted(rec.metas)):
            grouped.setdefault(sid, []).append(value)
        return [
            {"meta_structure_id": sid, "name": fields[sid].name, "value": " ; ".join(vals)}
            for sid, vals in sorted(grouped.items())
            if not fields[sid].business
        ]

    def record_status(self, rec: Record) -> list[dict[str, Any]]:
        """The state of each defined status bit."""
        bits = self.store.databoxes[rec.databox_id].status_bits
        return [{"bit": b, "state": bool(rec.status >> b & 1)} for b in sorted(bits)]

    def story(self, rec: Record) -> dict[str, Any]:
        """The v1 story object with its Dublin Core bag and child records."""
        coll = self.store.collections[rec.base_id]
        bag: dict[str, Any] = {"@entity@": STORY_META_ENTITY}
        for dc in DC_FIELDS:
            bag[f"dc:{dc}"] = rec.title if dc == "title" else None
        children = [self.store.records[k] for k in rec.children if k in self.store.records]
        return {
            "@entity@": STORY_ENTITY,
            "databox_id": rec.databox_id,
            "story_id": rec.record_id,
            "resource_id": f"{self.store.instance}_{rec.databox_id}_{rec.record_id}",
            "cover_record_id": rec.cover_record_id,
            "updated_on": atom(rec.updated_on),
            # The real server fills created_on from the update date.
            "created_on": atom(rec.updated_on),
            "collection_id": coll.collection_id,
            "base_id": rec.base_id,
            "thumbnail": self.subdef(rec, "thumbnail") if rec.has_subdefs else None,
            "uuid": rec.uuid,
            "metadatas": bag,
            "records": [self.record(c) for c in children],
        }

    # -- baskets, feeds, quarantine, user ---------------------------------------------------

    def basket(self, b: Basket) -> dict[str, Any]:
        """A basket summary."""
        return {
            "basket_id": b.basket_id,
            "owner": self.user() if b.owner_id == self.store.user.id else None,
            "created_on": atom(b.created_on),
            "description": b.description,
            "name": b.name,
            "pusher_usr_id": None,
            "pusher": None,
            "updated_on": atom(b.updated_on),
            "unread": False,
            "validation_basket": False,
        }

    def basket_elements(self, b: Basket) -> list[dict[str, Any]]:
        """A basket's elements in order."""
        out = []
        for n, key in enumerate(b.elements):
            rec = self.store.records.get(key)
            if rec is None:
                continue
            out.append(
                {
                    "basket_element_id": b.basket_id * 1000 + n,
                    "order": n,
                    "record": self.record(rec),
                    "validation_item": False,
                }
            )
        return out

    def feed(self, f: Feed) -> dict[str, Any]:
        """A feed summary (icon is a boolean)."""
        last = max((self.store.entries[e].created_on for e in f.entries), default=f.created_on)
        return {
            "id": f.id,
            "title": f.title,
            "subtitle": f.subtitle,
            "total_entries": len(f.entries),
            "icon": False,
            "public": f.public,
            "readonly": True,
            "deletable": False,
            "created_on": atom(f.created_on),
            "updated_on": atom(last),
        }

    def entry(self, e: FeedEntry) -> dict[str, Any]:
        """A feed entry with its items."""
        feed = self.store.feeds[e.feed_id]
        items = []
        for n, key in enumerate(e.items):
            rec = self.store.records.get(key)
            if rec is not None:
                items.append({"item_id": e.id * 100 + n, "record": self.record(rec)})
        return {
            "id": e.id,
            "author_email": self.store.user.email,
            "author_name": "Emulator Publisher",
            "created_on": atom(e.created_on),
            "updated_on": atom(e.created_on),
            "title": e.title,
            "subtitle": e.subtitle,
            "items": items,
            "feed_id": feed.id,
            "feed_title": feed.title,
            "feed_url": f"/feeds/{feed.id}/content/",
            "url": f"/feeds/entry/{e.id}/",
        }

    def quarantine_item(self, q: QuarantineItem) -> dict[str, Any]:
        """A quarantine (lazaret) item."""
        matches = [
            {"record_id": r.record_id, "collection": r.base_id, "checks": list(q.checks)}
            for r in self.store.records.values()
            if r.sha256 == q.sha256
        ]
        return {
            "id": q.id,
            "quarantine_session": {
                "id": q.session_id,
                "usr_id": q.usr_id,
                "user": self.user() if q.usr_id == self.store.user.id else None,
            },
            "base_id": q.base_id,
            "original_name": q.original_name,
            "collection": self.collection(self.store.collections[q.base_id]),
            "sha256": q.sha256,
            "uuid": q.uuid,
            "forced": q.forced,
            "checks": [] if q.forced else list(q.checks),
            "records_match": matches,
            "created_on": atom(q.created_on),
            "updated_on": atom(q.created_on),
        }

    def user(self) -> dict[str, Any]:
        """The configured user's profile (empty fields are null)."""
        u = self.store.user
        out: dict[str, Any] = {
            "@entity@": USER_ENTITY,
            "id": u.id,
            "email": u.email,
            "login": u.login,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "display_name": f"{u.first_name} {u.last_name}",
        }
        for name in (
            "gender address zip_code city country phone fax job position company geoname_id "
            "last_connection"
        ).split():
            out[name] = u.profile.get(name) or None
        out["created_on"] = atom(1_500_000_000)
        out["updated_on"] = atom(1_500_000_000)
        out["locale"] = "en"
        return out
