"""What the client knows about each noun: path, model, verbs, merge, nested paths, version gates."""

from __future__ import annotations

import attrs

from asyncdam.openasset import models as m

CRUD = frozenset({"GET", "PUT", "POST", "DELETE"})
READ = frozenset({"GET"})
NO_DELETE = frozenset({"GET", "PUT", "POST"})


@attrs.frozen
class NestedSpec:
    """A nested list below a parent (`/Files/{id}/Keywords`); `gated` verbs need 8.1.11."""

    child: str
    model: type[m.Model] | type[m.Ref] | type[m.FieldValue]
    verbs: frozenset[str]
    gated: frozenset[str] = frozenset()
    expansion: str | None = None


@attrs.frozen
class NounSpec:
    """One REST module; `open_fields` when custom field codes may also be filters."""

    name: str
    model: type[m.Model]
    verbs: frozenset[str]
    merge: bool = False
    feature: str | None = None  # version gate for the whole noun
    write_feature: str | None = None  # version gate for writes only
    open_fields: bool = False
    nested: dict[str, NestedSpec] = attrs.field(factory=dict)

    @property
    def expansions(self) -> frozenset[str]:
        """Expansion parameter names this noun accepts."""
        return frozenset(n.expansion for n in self.nested.values() if n.expansion)


_ALL = CRUD
_GP = frozenset({"GET", "PUT"})

NOUNS: dict[str, NounSpec] = {
    s.name: s
    for s in (
        NounSpec("AccessLevels", m.AccessLevel, READ),
        NounSpec(
            "Albums",
            m.Album,
            CRUD,
            merge=True,
            write_feature="Album writes",
            nested={
                "Files": NestedSpec("Files", m.Ref, _ALL, _ALL, "files"),
                "Groups": NestedSpec("Groups", m.Ref, _GP, _ALL, "groups"),
                "Users": NestedSpec("Users", m.Ref, _GP, _ALL, "users"),
            },
        ),
        NounSpec("AlternateStores", m.AlternateStore, READ),
        NounSpec("AspectRatios", m.AspectRatio, READ),
        NounSpec("Categories", m.Category, _GP),
        NounSpec("CopyrightHolders", m.CopyrightHolder, NO_DELETE, merge=True),
        NounSpec("CopyrightPolicies", m.CopyrightPolicy, CRUD, merge=True),
        NounSpec("DataIntegrations", m.DataIntegration, READ),
        NounSpec("Employees", m.Employee, CRUD, open_fields=True),
        NounSpec("EmployeeKeywords", m.EmployeeKeyword, CRUD, merge=True),
        NounSpec("EmployeeKeywordCategories", m.EmployeeKeywordCategory, CRUD, merge=True),
        NounSpec(
            "Fields",
            m.Field,
            CRUD,
            nested={
                "FieldLookupStrings": NestedSpec(
                    "FieldLookupStrings", m.FieldLookupString, _ALL, expansion="fieldLookupStrings"
                )
            },
        ),
        NounSpec(
            "Files",
            m.File,
            CRUD,
            open_fields=True,
            nested={
                "Fields": NestedSpec("Fields", m.FieldValue, _GP, frozenset({"PUT"}), "fields"),
                "Keywords": NestedSpec(
                    "Keywords", m.Ref, _ALL, frozenset({"POST", "DELETE"}), "keywords"
                ),
                "Sizes": NestedSpec("Sizes", m.FileSize, _GP, expansion="sizes"),
                "Albums": NestedSpec("Albums", m.Ref, READ, expansion="albums"),
            },
        ),
        NounSpec(
            "Groups",
            m.Group,
            CRUD,
            feature="Groups",
            nested={"Users": NestedSpec("Users", m.Ref, _ALL, expansion="users")},
        ),
        NounSpec(
            "Keywords",
            m.Keyword,
            CRUD,
            merge=True,
            nested={"Files": NestedSpec("Files", m.Ref, frozenset({"GET", "POST"}))},
        ),
        NounSpec("KeywordCategories", m.KeywordCategory, CRUD, merge=True),
        NounSpec("Photographers", m.Photographer, NO_DELETE, merge=True),
        NounSpec(
            "Projects",
            m.Project,
            CRUD,
            open_fields=True,
            nested={
                "ProjectKeywords": NestedSpec(
                    "ProjectKeywords", m.Ref, _ALL, frozenset({"POST", "DELETE"}), "projectKeywords"
                ),
                "Fields": NestedSpec("Fields", m.FieldValue, _GP, frozenset({"PUT"}), "fields"),
                "Files": NestedSpec("Files", m.File, READ),
            },
        ),
        NounSpec("ProjectKeywords", m.ProjectKeyword, CRUD, merge=True),
        NounSpec("ProjectKeywordCategories", m.ProjectKeywordCategory, CRUD, merge=True),
        NounSpec(
            "Searches",
            m.Search,
            NO_DELETE,
            nested={
                "Groups": NestedSpec("Groups", m.Ref, _GP, _ALL, "groups"),
                "Users": NestedSpec("Users", m.Ref, _GP, _ALL, "users"),
                "Results": NestedSpec(
                    "Results", m.SearchResult, frozenset({"GET", "POST"}), expansion="results"
                ),
            },
        ),
        NounSpec("Sizes", m.Size, CRUD),
        NounSpec("TextRewrites", m.TextRewrite, READ),
        NounSpec(
            "Users",
            m.User,
            CRUD,
            nested={"Groups": NestedSpec("Groups", m.Ref, READ, expansion="groups")},
        ),
    )
}

# Keys a model carries that are not server fields.
_NOT_FIELDS = frozenset({"extra", "problems"})


def field_names(model: type[object]) -> frozenset[str]:
    """The wire field names a model knows (filters, orderBy, displayFields, writes)."""
    return frozenset(f.name for f in attrs.fields(model) if f.name not in _NOT_FIELDS)  # type: ignore[arg-type]
