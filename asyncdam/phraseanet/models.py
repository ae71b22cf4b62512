"""Frozen attrs models of Phraseanet objects; every unknown key is kept in `extra`.

Fields carry the server's names. Every field has a default, because the server omits keys by
version and by rights (e.g. `document` subdefs need the HD right); nullable ones default to None.
"""

from __future__ import annotations

from typing import Any

import attrs

from asyncdam.decoding.problems import DecodeProblem, problems_field

_f = attrs.frozen(kw_only=True)


def _extra() -> Any:
    return attrs.field(factory=dict, repr=False)


@_f
class Labels:
    """Per-language labels."""

    en: str | None = None
    de: str | None = None
    fr: str | None = None
    nl: str | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class Databox:
    """A databox (`sbas`): a record store with its own structure."""

    databox_id: int = 0
    name: str = ""
    viewname: str | None = None
    labels: dict[str, Any] = attrs.field(factory=dict)
    version: str | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class Collection:
    """A collection: global `base_id`, databox-local `collection_id`."""

    base_id: int = 0
    databox_id: int = 0
    collection_id: int = 0
    name: str = ""
    labels: dict[str, Any] = attrs.field(factory=dict)
    record_amount: int | None = None
    order_managers: list[Any] = attrs.field(factory=list)
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class StatusBitDefinition:
    """One status bit defined in a databox structure."""

    bit: int = 0
    label_on: str | None = None
    label_off: str | None = None
    labels: dict[str, Any] = attrs.field(factory=dict)
    img_on: str | None = None
    img_off: str | None = None
    searchable: bool = False
    printable: bool = False
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class MetadataField:
    """A databox metadata field (document structure)."""

    id: int = 0
    namespace: str | None = None
    source: str | None = None
    tagname: str | None = None
    name: str = ""
    labels: dict[str, Any] = attrs.field(factory=dict)
    separator: str | None = None
    thesaurus_branch: str | None = None
    type: str | None = None
    indexable: bool | None = None
    multivalue: bool | None = None
    readonly: bool | None = None
    required: bool | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class TermsOfUse:
    """Terms of use of a databox in one locale."""

    locale: str = ""
    terms: str = ""
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class Permalink:
    """A public permalink of a subdef (may be inactive)."""

    id: int | None = None
    is_activated: bool = False
    label: str | None = None
    page_url: str | None = None
    download_url: str | None = None
    url: str | None = None
    created_on: str | None = None
    updated_on: str | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class Subdef:
    """A subdefinition (document, preview, thumbnail...) with a signed URL and a permalink."""

    name: str = ""
    permalink: Permalink | None = None
    height: int | None = None
    width: int | None = None
    filesize: int | None = None
    devices: list[str] = attrs.field(factory=list)
    player_type: str | None = None
    mime_type: str | None = None
    substituted: bool | None = None
    created_on: str | None = None
    updated_on: str | None = None
    url: str | None = None
    url_ttl: int | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class TechnicalInfo:
    """One technical information pair (value is a number or a string)."""

    name: str = ""
    value: Any = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class CaptionField:
    """A caption field (multi-values joined with ' ; ')."""

    meta_structure_id: int = 0
    name: str = ""
    value: str | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class RecordMetadata:
    """One metadata value of a record (one entry per value of a multi-valued field)."""

    meta_structure_id: int = 0
    name: str = ""
    labels: dict[str, Any] = attrs.field(factory=dict)
    meta_id: int | None = None
    value: str | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class StatusBit:
    """The state of one defined status bit of a record."""

    bit: int = 0
    state: bool = False
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class Record:
    """A record; extended mode (or v3 `include[]`) adds subdefs, metadata, status, caption."""

    databox_id: int = 0
    record_id: int = 0
    resource_id: str | None = None
    mime_type: str | None = None
    title: str | None = None
    original_name: str | None = None
    updated_on: str | None = None
    created_on: str | None = None
    collection_id: int | None = None
    base_id: int | None = None
    sha256: str | None = None
    thumbnail: Subdef | None = None
    technical_informations: list[TechnicalInfo] = attrs.field(factory=list)
    phrasea_type: str | None = None
    uuid: str | None = None
    subdefs: list[Subdef] | None = None
    metadata: list[RecordMetadata] | None = None
    status: list[StatusBit] | None = None
    caption: list[CaptionField] | None = None
    is_story: bool | None = None
    cover_record_id: int | None = None
    children_total: int | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()

    @property
    def key(self) -> tuple[int, int]:
        """`(databox_id, record_id)`: a record's identity across the install."""
        return (self.databox_id, self.record_id)


@_f
class Story:
    """A story (a record grouping records), v1 shape with its Dublin Core bag and children."""

    databox_id: int = 0
    story_id: int = 0
    resource_id: str | None = None
    cover_record_id: int | None = None
    updated_on: str | None = None
    created_on: str | None = None
    collection_id: int | None = None
    base_id: int | None = None
    thumbnail: Subdef | None = None
    uuid: str | None = None
    metadatas: dict[str, Any] = attrs.field(factory=dict)
    records: list[Record] = attrs.field(factory=list)
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()

    @property
    def key(self) -> tuple[int, int]:
        """`(databox_id, story_id)`."""
        return (self.databox_id, self.story_id)


@_f
class User:
    """A user profile (empty profile fields are None)."""

    id: int = 0
    email: str | None = None
    login: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    locale: str | None = None
    created_on: str | None = None
    updated_on: str | None = None
    last_connection: str | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class Basket:
    """A basket (own or vote basket)."""

    basket_id: int = 0
    name: str = ""
    description: str = ""
    owner: User | None = None
    created_on: str | None = None
    updated_on: str | None = None
    pusher_usr_id: int | None = None
    pusher: User | None = None
    unread: bool | None = None
    validation_basket: bool | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class BasketElement:
    """One element of a basket."""

    basket_element_id: int = 0
    order: int | None = None
    record: Record | None = None
    validation_item: bool | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class BasketContent:
    """A basket and its elements."""

    basket: Basket = attrs.field(factory=Basket)
    basket_elements: list[BasketElement] = attrs.field(factory=list)
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class Feed:
    """A publication feed (`icon` is a boolean: whether a custom icon exists)."""

    id: int = 0
    title: str = ""
    subtitle: str | None = None
    total_entries: int | None = None
    icon: bool | None = None
    public: bool | None = None
    readonly: bool | None = None
    deletable: bool | None = None
    created_on: str | None = None
    updated_on: str | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class FeedItem:
    """One record published in a feed entry."""

    item_id: int = 0
    record: Record | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class FeedEntry:
    """A feed entry; `url` and `feed_url` are made absolute by the client."""

    id: int = 0
    author_email: str | None = None
    author_name: str | None = None
    created_on: str | None = None
    updated_on: str | None = None
    title: str = ""
    subtitle: str | None = None
    items: list[FeedItem] = attrs.field(factory=list)
    feed_id: int | None = None
    feed_title: str | None = None
    feed_url: str | None = None
    url: str | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class QuarantineItem:
    """A quarantined (lazaret) file waiting to be accepted or denied."""

    id: int = 0
    quarantine_session: dict[str, Any] = attrs.field(factory=dict)
    base_id: int | None = None
    original_name: str | None = None
    collection: Collection | None = None
    sha256: str | None = None
    uuid: str | None = None
    forced: bool | None = None
    checks: list[Any] = attrs.field(factory=list)
    records_match: list[dict[str, Any]] = attrs.field(factory=list)
    created_on: str | None = None
    updated_on: str | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class UploadResult:
    """Where an upload landed: `entity` "0" record or "1" quarantine; `url` made absolute."""

    entity: str | None = None
    url: str = ""
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()

    @property
    def quarantined(self) -> bool:
        """Whether the file went to quarantine (v3 sends `entity: null`: judged by the URL)."""
        if self.entity is not None:
            return self.entity == "1"
        return "/quarantine/" in self.url

    def _numbers(self) -> list[int]:
        return [int(p) for p in self.url.split("?")[0].split("/") if p.isdigit()]

    @property
    def record_key(self) -> tuple[int, int] | None:
        """`(databox_id, record_id)` of the new record; None when it went to quarantine."""
        numbers = self._numbers()
        if self.quarantined or len(numbers) < 2:
            return None
        return (numbers[-2], numbers[-1])

    @property
    def quarantine_id(self) -> int | None:
        """The quarantine item id; None when a record was created."""
        numbers = self._numbers()
        return numbers[-1] if self.quarantined and numbers else None


@_f
class Me:
    """`GET /me/`: the user, the collections and databoxes they can reach."""

    user: User = attrs.field(factory=User)
    collections: list[Collection] = attrs.field(factory=list)
    databoxes: list[Databox] = attrs.field(factory=list)
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class SearchPage:
    """One page of a v1/v2 search: counters and facets (the items are yielded separately)."""

    offset_start: int = 0
    per_page: int = 0
    available_results: int = 0
    total_results: int = 0
    error: str | None = None
    warning: str | None = None
    query_time: float | None = None
    search_indexes: Any = None
    query: str | None = None
    facets: list[dict[str, Any]] = attrs.field(factory=list)
    suggestions: list[dict[str, Any]] = attrs.field(factory=list)
    records: list[Record] = attrs.field(factory=list)
    stories: list[Story] = attrs.field(factory=list)
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class LightResult:
    """A v2 search hit: ids, collection and `version` (update time, Unix seconds)."""

    databox_id: int = 0
    record_id: int = 0
    collection_id: int | None = None
    version: int | None = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class Related:
    """`GET .../related/`: the baskets and stories a record belongs to."""

    baskets: list[Basket] = attrs.field(factory=list)
    stories: list[Story] = attrs.field(factory=list)
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class QuarantinePage:
    """One page of `GET /quarantine/list/`."""

    offset_start: int = 0
    per_page: int = 0
    quarantine_items: list[QuarantineItem] = attrs.field(factory=list)
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class FeedPage:
    """One page of feed entries (aggregated or one feed)."""

    offset_start: int = 0
    per_page: int = 0
    total_entries: int | None = None
    feed: Feed | None = None
    entries: list[FeedEntry] = attrs.field(factory=list)
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()


@_f
class Structures:
    """`GET /me/structures/`: the fields the user can see across databoxes."""

    meta_fields: Any = None
    aggregable_fields: Any = None
    technical_fields: Any = None
    extra: dict[str, Any] = _extra()
    problems: tuple[DecodeProblem, ...] = problems_field()
