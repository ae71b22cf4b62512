"""In-memory Phraseanet state: databoxes, collections, records, baskets, feeds, quarantine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class MetaField:
    """One field of a databox's metadata structure."""

    id: int
    name: str
    source: str
    multivalue: bool = False
    business: bool = False
    type: str = "string"


@dataclass(slots=True)
class Databox:
    """A databox (sbas) with its metadata and status structure."""

    databox_id: int
    name: str
    fields: dict[int, MetaField]
    status_bits: dict[int, str]
    structure_right: bool = True
    next_record_id: int = 1
    next_meta_id: int = 1


@dataclass(slots=True)
class Collection:
    """A collection: global base_id, databox-local collection_id and the user's rights on it."""

    base_id: int
    databox_id: int
    collection_id: int
    name: str
    access: bool = True
    can_add: bool = True
    can_edit: bool = True
    order_master: bool = False


@dataclass(slots=True)
class Record:
    """A record or a story (`is_story`), with its captions (meta_id -> (struct_id, value))."""

    databox_id: int
    record_id: int
    base_id: int
    title: str
    original_name: str
    mime_type: str
    phrasea_type: str
    created_on: int
    updated_on: int
    sha256: str
    uuid: str
    status: int = 0
    metas: dict[int, tuple[int, str]] = field(default_factory=dict)
    is_story: bool = False
    children: list[tuple[int, int]] = field(default_factory=list)
    cover_record_id: int | None = None
    has_subdefs: bool = True
    width: int = 1024
    height: int = 768

    @property
    def key(self) -> tuple[int, int]:
        """The (databox_id, record_id) identity."""
        return (self.databox_id, self.record_id)


@dataclass(slots=True)
class Basket:
    """A basket owned by a user, holding (databox_id, record_id) elements."""

    basket_id: int
    owner_id: int
    name: str
    description: str
    created_on: int
    updated_on: int
    elements: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class FeedEntry:
    """A publication in a feed."""

    id: int
    feed_id: int
    title: str
    subtitle: str
    created_on: int
    items: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Feed:
    """A feed; `accessible` is False for feeds the user may not read."""

    id: int
    title: str
    subtitle: str
    public: bool
    accessible: bool
    created_on: int
    entries: list[int] = field(default_factory=list)


@dataclass(slots=True)
class QuarantineItem:
    """A file held in quarantine (lazaret) for a user's upload session."""

    id: int
    session_id: int
    usr_id: int
    base_id: int
    original_name: str
    sha256: str
    uuid: str
    forced: bool
    checks: list[str]
    created_on: int
    data: bytes = b""


@dataclass(slots=True)
class User:
    """An account with a password (the only user fields the emulator needs to vary)."""

    id: int
    login: str
    email: str
    password: str
    first_name: str
    last_name: str
    profile: dict[str, str] = field(default_factory=dict)
    demands: list[int] = field(default_factory=list)


@dataclass(slots=True)
class OrderElement:
    """One record of an order; `status` is pending, accepted or rejected."""

    id: int
    databox_id: int
    record_id: int
    status: str = "pending"
    validator_id: int | None = None


@dataclass(slots=True)
class Order:
    """A v2 order: a user asks the collections' order managers for documents."""

    id: int
    owner_id: int
    created_on: int
    usage: str
    deadline: int | None
    elements: list[OrderElement] = field(default_factory=list)


@dataclass(slots=True)
class Task:
    """A background task of the admin monitor."""

    id: int
    name: str
    title: str
    auto_start: bool = False
    running: bool = False
    created_on: int = 0
    updated_on: int = 0


@dataclass
class Store:
    """Everything the emulator serves; handlers mutate it in place."""

    instance: str
    user: User
    databoxes: dict[int, Databox] = field(default_factory=dict)
    collections: dict[int, Collection] = field(default_factory=dict)
    records: dict[tuple[int, int], Record] = field(default_factory=dict)
    baskets: dict[int, Basket] = field(default_factory=dict)
    feeds: dict[int, Feed] = field(default_factory=dict)
    entries: dict[int, FeedEntry] = field(default_factory=dict)
    quarantine: dict[int, QuarantineItem] = field(default_factory=dict)
    uploads: dict[tuple[int, int], bytes] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    tasks: dict[int, Task] = field(default_factory=dict)
    enqueued: list[dict[str, Any]] = field(default_factory=list)
    substituted: dict[tuple[int, int, str], bytes] = field(default_factory=dict)
    reset_tokens: dict[str, int] = field(default_factory=dict)
    unlock_tokens: dict[str, str] = field(default_factory=dict)
    account_deleted: bool = False
    next_basket_id: int = 1
    next_order_id: int = 1
    next_order_element_id: int = 1
    next_quarantine_id: int = 1
    # Bumped by every write request; search results are cached per generation.
    generation: int = 0
    search_cache: dict[str, list[Record]] = field(default_factory=dict)
    cache_generation: int = 0
    subdef_cache: dict[object, Any] = field(default_factory=dict)

    def new_record_id(self, databox_id: int) -> int:
        """Allocate the next record_id in a databox."""
        db = self.databoxes[databox_id]
        rid = db.next_record_id
        db.next_record_id += 1
        return rid

    def new_meta_id(self, databox_id: int) -> int:
        """Allocate the next meta_id in a databox."""
        db = self.databoxes[databox_id]
        mid = db.next_meta_id
        db.next_meta_id += 1
        return mid

    def collection_of(self, databox_id: int, collection_id: int) -> Collection | None:
        """Find a collection by its databox-local id."""
        for coll in self.collections.values():
            if coll.databox_id == databox_id and coll.collection_id == collection_id:
                return coll
        return None

    def searchable_bases(self) -> list[int]:
        """base_ids the user may search."""
        return [c.base_id for c in self.collections.values() if c.access]

    def databox_accessible(self, databox_id: int) -> bool:
        """Whether the user has access to at least one collection of the databox."""
        return any(c.access for c in self.collections.values() if c.databox_id == databox_id)
