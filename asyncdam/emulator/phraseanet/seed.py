"""Deterministic seeding of the store from `EmulatorConfig.seed` and `.size`."""

from __future__ import annotations

import hashlib
import random
import uuid

from asyncdam.emulator.phraseanet.store import (
    Basket,
    Collection,
    Databox,
    Feed,
    FeedEntry,
    MetaField,
    Order,
    OrderElement,
    QuarantineItem,
    Record,
    Store,
    Task,
    User,
)

OTHER_USER_ID = 2
EPOCH = 1_600_000_000
WORDS = (
    "dog cat horse bird fish river mountain city harbour forest beach snow night portrait "
    "festival market bridge tower garden train"
).split()


def _fields() -> dict[int, MetaField]:
    return {
        1: MetaField(1, "Title", "IPTC:ObjectName"),
        2: MetaField(2, "Keywords", "IPTC:Keywords", multivalue=True),
        3: MetaField(3, "Description", "IPTC:Caption-Abstract"),
        4: MetaField(4, "Credit", "IPTC:Credit", business=True),
        5: MetaField(5, "Date", "IPTC:DateCreated", type="date"),
    }


def seed_store(seed: int, size: float, user: User) -> Store:
    """Build the store: 3 databoxes, 6 collections, ~3000*size records, stories, baskets, feeds."""
    rng = random.Random(seed)
    store = Store(instance=f"emu{seed}", user=user)
    store.databoxes = {
        1: Databox(1, "db_images", _fields(), {4: "Approved", 5: "Published", 6: "Archived"}),
        2: Databox(2, "db_video", _fields(), {4: "Approved", 8: "Licensed"}, structure_right=False),
        3: Databox(3, "db_private", _fields(), {4: "Approved"}),
    }
    colls = [
        Collection(1, 1, 1, "Photos", order_master=True),
        Collection(2, 1, 2, "Archives", order_master=True),
        Collection(3, 1, 3, "Press", can_add=False, can_edit=False),
        Collection(4, 2, 1, "Clips"),
        Collection(5, 2, 2, "Restricted", access=False, can_add=False, can_edit=False),
        Collection(6, 3, 1, "Vault", access=False, can_add=False, can_edit=False),
    ]
    store.collections = {c.base_id: c for c in colls}
    total = max(6, round(3000 * size))
    plan = [1, 1, 1, 1, 2, 2, 2, 3, 4, 4, 4, 5, 6]  # base_id weights: most in readable collections
    for i in range(total):
        base_id = plan[i % len(plan)]
        coll = store.collections[base_id]
        _add_record(store, rng, coll, i, seed)
    _add_stories(store, rng, max(2, total // 60), seed)
    _add_baskets(store, rng)
    _add_feeds(store, rng)
    _add_quarantine(store, rng, seed)
    _add_orders(store, rng)
    _add_tasks(store)
    return store


def _add_orders(store: Store, rng: random.Random) -> None:
    """12 orders of the user (so a page of 10 is not all) and 2 of someone else."""
    orderable = [r.key for r in store.records.values() if r.base_id in (1, 2) and not r.is_story]
    for n in range(14):
        oid = store.next_order_id
        store.next_order_id += 1
        order = Order(
            id=oid,
            owner_id=OTHER_USER_ID if n >= 12 else store.user.id,
            created_on=EPOCH + 7_000_000 + n * 3600,
            usage=f"Usage {oid}: print and web",
            deadline=EPOCH + 8_000_000 + n * 3600 if n % 3 else None,
        )
        for k, (d, r) in enumerate(rng.sample(orderable, 1 + n % 4)):
            element = OrderElement(store.next_order_element_id, d, r)
            store.next_order_element_id += 1
            if n % 4 == 1 and k == 0:
                element.status, element.validator_id = "accepted", store.user.id
            order.elements.append(element)
        store.orders[oid] = order


def _add_tasks(store: Store) -> None:
    for tid, name, title, auto in (
        (1, "Subdefs", "Subdefinitions creation", True),
        (2, "WriteMetadata", "Metadata writer", True),
        (3, "FtpPull", "FTP pull", False),
    ):
        store.tasks[tid] = Task(tid, name, title, auto, auto, EPOCH, EPOCH + tid)


def _add_record(store: Store, rng: random.Random, coll: Collection, i: int, seed: int) -> Record:
    d = coll.databox_id
    rid = store.new_record_id(d)
    kind = ("video", "video/mp4", "mp4") if d == 2 else ("image", "image/jpeg", "jpg")
    if i % 17 == 0:
        kind = ("document", "application/pdf", "pdf")
    words = rng.sample(WORDS, 3)
    created = EPOCH + i * 3600 + rng.randrange(600)
    rec = Record(
        databox_id=d,
        record_id=rid,
        base_id=coll.base_id,
        title=f"{words[0].title()} {words[1]} #{rid}",
        original_name=f"IMG_{d}_{rid:05d}.{kind[2]}",
        mime_type=kind[1],
        phrasea_type=kind[0],
        created_on=created,
        updated_on=created + rng.randrange(86_400),
        sha256=hashlib.sha256(f"{seed}:{d}:{rid}".encode()).hexdigest(),
        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        status=rng.choice((0, 1 << 4, (1 << 4) | (1 << 5))),
        width=rng.choice((640, 1024, 1920)),
        height=rng.choice((480, 768, 1080)),
    )
    add_meta(store, rec, 1, rec.title)
    for w in words:
        add_meta(store, rec, 2, w)
    add_meta(store, rec, 3, f"A {words[2]} near the {words[1]}.")
    add_meta(store, rec, 4, "Emulator Press Agency")
    store.records[rec.key] = rec
    return rec


def add_meta(store: Store, rec: Record, struct_id: int, value: str) -> int:
    """Attach one caption value to a record and return its new meta_id."""
    mid = store.new_meta_id(rec.databox_id)
    rec.metas[mid] = (struct_id, value)
    return mid


def _add_stories(store: Store, rng: random.Random, count: int, seed: int) -> None:
    for n in range(count):
        base_id = (1, 2, 4)[n % 3]
        coll = store.collections[base_id]
        pool = [r for r in store.records.values() if r.base_id == base_id and not r.is_story]
        story = _add_record(store, rng, coll, 10_000 + n, seed)
        story.is_story = True
        story.mime_type = ""
        story.phrasea_type = "unknown"
        story.title = f"Story {n + 1}"
        story.metas = {}
        add_meta(store, story, 1, story.title)
        picks = rng.sample(pool, min(len(pool), 3 + n % 5))
        story.children = [r.key for r in picks]
        story.cover_record_id = picks[0].record_id if picks else None


def _add_baskets(store: Store, rng: random.Random) -> None:
    readable = [r.key for r in store.records.values() if r.base_id in (1, 2, 4) and not r.is_story]
    for n in range(6):
        owner = OTHER_USER_ID if n == 1 else store.user.id
        bid = store.next_basket_id
        store.next_basket_id += 1
        store.baskets[bid] = Basket(
            basket_id=bid,
            owner_id=owner,
            name=f"Basket {bid}",
            description="" if n % 2 else f"Selection number {bid}",
            created_on=EPOCH + n * 1000,
            updated_on=EPOCH + n * 2000,
            elements=rng.sample(readable, 2 + n),
        )


def _add_feeds(store: Store, rng: random.Random) -> None:
    readable = [r.key for r in store.records.values() if r.base_id in (1, 2, 4) and not r.is_story]
    specs = [
        (1, "News", True, True, 25),
        (2, "Internal", False, True, 130),
        (3, "Board", False, False, 4),
    ]
    entry_id = 1
    for fid, title, public, accessible, n_entries in specs:
        feed = Feed(fid, title, f"{title} feed", public, accessible, EPOCH + fid)
        for k in range(n_entries):
            entry = FeedEntry(
                id=entry_id,
                feed_id=fid,
                title=f"{title} entry {k + 1}",
                subtitle="",
                created_on=EPOCH + fid * 100_000 + k * 600,
                items=rng.sample(readable, 1 + k % 3),
            )
            store.entries[entry_id] = entry
            feed.entries.append(entry_id)
            entry_id += 1
        store.feeds[fid] = feed


def _add_quarantine(store: Store, rng: random.Random, seed: int) -> None:
    for n in range(27):
        qid = store.next_quarantine_id
        store.next_quarantine_id += 1
        owner = OTHER_USER_ID if n >= 25 else store.user.id
        data = f"quarantined-{seed}-{qid}".encode()
        store.quarantine[qid] = QuarantineItem(
            id=qid,
            session_id=100 + owner,
            usr_id=owner,
            base_id=(1, 2, 4)[n % 3],
            original_name=f"upload_{qid}.jpg",
            sha256=hashlib.sha256(data).hexdigest(),
            uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            forced=False,
            checks=["A file with the same checksum already exists in the collection"],
            created_on=EPOCH + 5_000_000 + n * 60,
            data=data,
        )
