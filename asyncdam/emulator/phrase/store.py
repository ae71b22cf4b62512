"""The in-memory data of the Phrase emulator: accounts, projects and everything inside a project."""

from __future__ import annotations

import copy
import random
from typing import Any

import attrs


@attrs.define
class Account:
    """An organisation account (8-character id)."""

    id: str
    name: str
    slug: str
    company: str
    created: float
    updated: float


@attrs.define
class User:
    """The one seeded user every accepted credential belongs to."""

    id: str
    username: str
    name: str
    email: str
    created: float
    updated: float


@attrs.define
class Locale:
    """A project locale, addressable by id or by name."""

    id: str
    name: str
    code: str
    created: float
    updated: float
    default: bool = False
    main: bool = False
    rtl: bool = False
    source_locale_id: str | None = None
    fallback_locale_id: str | None = None


@attrs.define
class Key:
    """A translation key."""

    id: str
    name: str
    created: float
    updated: float
    description: str = ""
    plural: bool = False
    data_type: str = "string"
    tags: list[str] = attrs.field(factory=list)
    max_characters_allowed: int = 0
    name_plural: str = ""
    unformatted: bool = False


@attrs.define
class Translation:
    """The content of one key in one locale."""

    id: str
    key_id: str
    locale_id: str
    content: str
    created: float
    updated: float
    unverified: bool = False
    excluded: bool = False
    reviewed: bool = False

    @property
    def state(self) -> str:
        """The workflow state the API reports."""
        if self.reviewed:
            return "reviewed"
        if self.unverified:
            return "unverified"
        return "translated" if self.content else "untranslated"


@attrs.define
class Tag:
    """A key tag, addressed by name."""

    name: str
    created: float
    updated: float


@attrs.define
class Upload:
    """An uploaded file, applied to the data when its processing completes."""

    id: str
    filename: str
    format: str
    tags: list[str]
    locale_id: str
    entries: dict[str, str]
    update_translations: bool
    created: float
    updated: float
    state: str = "processing"
    polls: int = 0
    summary: dict[str, int] = attrs.field(factory=dict)


@attrs.define
class Download:
    """An asynchronous locale export."""

    id: str
    locale_id: str
    params: dict[str, Any]
    secret: str
    created: float
    status: str = "processing"
    polls: int = 0
    completed: float | None = None
    body: bytes = b""
    content_type: str = "application/octet-stream"
    filename: str = ""


@attrs.define
class Job:
    """A translation job."""

    id: str
    name: str
    created: float
    updated: float
    briefing: str = ""
    due_date: str | None = None
    ticket_url: str = ""
    state: str = "draft"
    branch: str | None = None
    source_locale_id: str | None = None
    locale_ids: list[str] = attrs.field(factory=list)
    key_ids: list[str] = attrs.field(factory=list)
    locked: bool = False


@attrs.define
class ProjectData:
    """Everything one project (or one branch of it) holds, plus its write version."""

    locales: dict[str, Locale] = attrs.field(factory=dict)
    keys: dict[str, Key] = attrs.field(factory=dict)
    key_names: dict[str, str] = attrs.field(factory=dict)
    translations: dict[str, Translation] = attrs.field(factory=dict)
    by_key_locale: dict[tuple[str, str], str] = attrs.field(factory=dict)
    tags: dict[str, Tag] = attrs.field(factory=dict)
    uploads: dict[str, Upload] = attrs.field(factory=dict)
    downloads: dict[str, Download] = attrs.field(factory=dict)
    jobs: dict[str, Job] = attrs.field(factory=dict)
    version: int = 0
    updated: float = 0.0

    def touch(self, now: float) -> None:
        """Record a write: every validator of this project changes."""
        self.version += 1
        self.updated = max(self.updated, now)

    def locale(self, ref: str) -> Locale | None:
        """A locale by id, or else by name (the API accepts both)."""
        found = self.locales.get(ref)
        if found is not None:
            return found
        for loc in self.locales.values():
            if loc.name == ref or loc.code == ref:
                return loc
        return None

    def add_key(self, key: Key) -> None:
        """Insert a key and index its name."""
        self.keys[key.id] = key
        self.key_names[key.name] = key.id

    def remove_key(self, key_id: str) -> None:
        """Delete a key and its translations."""
        key = self.keys.pop(key_id)
        self.key_names.pop(key.name, None)
        for loc_id in list(self.locales):
            tr_id = self.by_key_locale.pop((key_id, loc_id), None)
            if tr_id is not None:
                self.translations.pop(tr_id, None)

    def add_translation(self, tr: Translation) -> None:
        """Insert a translation, replacing any earlier one of the same key and locale."""
        old = self.by_key_locale.get((tr.key_id, tr.locale_id))
        if old is not None:
            self.translations.pop(old, None)
        self.translations[tr.id] = tr
        self.by_key_locale[(tr.key_id, tr.locale_id)] = tr.id

    def remove_locale(self, locale_id: str) -> None:
        """Delete a locale and its translations."""
        self.locales.pop(locale_id)
        for tr_id in [t.id for t in self.translations.values() if t.locale_id == locale_id]:
            tr = self.translations.pop(tr_id)
            self.by_key_locale.pop((tr.key_id, tr.locale_id), None)

    def clone_content(self) -> ProjectData:
        """A copy of locales, keys, translations and tags (a new branch starts from this)."""
        out = ProjectData(version=self.version, updated=self.updated)
        out.locales = {k: copy.copy(v) for k, v in self.locales.items()}
        out.keys = {k: attrs.evolve(v, tags=list(v.tags)) for k, v in self.keys.items()}
        out.key_names = dict(self.key_names)
        out.translations = {k: copy.copy(v) for k, v in self.translations.items()}
        out.by_key_locale = dict(self.by_key_locale)
        out.tags = {k: copy.copy(v) for k, v in self.tags.items()}
        return out


@attrs.define
class Branch:
    """A project branch with its own copy of the data."""

    name: str
    created: float
    updated: float
    data: ProjectData
    base_names: frozenset[str]
    state: str = "creating_branch"  # the spec's first branch state
    polls: int = 0
    merged: float | None = None


@attrs.define
class Project:
    """A project: metadata, its main data and its branches."""

    id: str
    name: str
    slug: str
    account_id: str
    created: float
    updated: float
    main_format: str = "yml"
    settings: dict[str, Any] = attrs.field(factory=dict)
    data: ProjectData = attrs.field(factory=ProjectData)
    branches: dict[str, Branch] = attrs.field(factory=dict)


@attrs.define
class Store:
    """All data of one emulator instance, with a deterministic id source."""

    rng: random.Random
    user: User
    accounts: dict[str, Account] = attrs.field(factory=dict)
    projects: dict[str, Project] = attrs.field(factory=dict)
    # The spec-driven handler's data: items by collection path, and one-of-a-kind objects by path
    # (path segments decoded, plus "@branch" when a branch was named).
    collections: dict[tuple[str, ...], dict[str, dict[str, Any]]] = attrs.field(factory=dict)
    singletons: dict[tuple[str, ...], dict[str, Any]] = attrs.field(factory=dict)
    # Linked keys: project id -> parent key id -> child key ids.
    key_links: dict[str, dict[str, list[str]]] = attrs.field(factory=dict)
    version: int = 0
    updated: float = 0.0

    def new_id(self) -> str:
        """A fresh 32-hex id."""
        return f"{self.rng.getrandbits(128):032x}"

    def touch(self, now: float) -> None:
        """Record a write to account-level data (projects list, accounts)."""
        self.version += 1
        self.updated = max(self.updated, now)
