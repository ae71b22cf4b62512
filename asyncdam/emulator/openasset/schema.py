"""What the fake OpenAsset knows about each noun: fields and their kinds, verbs, merges, gates.

Field specs are compact strings `name:kind[!]` where kind is i (int), f (float), s (string, 256),
t (text, 65 535), b (0/1 flag), d (YYYYMMDDhhmmss), j (JSON value), c (computed int, sent as an int
even by legacy servers); a trailing `!` marks a field the client cannot write.
"""

from __future__ import annotations

import attrs

Version = tuple[int, ...]

V8_1_11: Version = (8, 1, 11)
V9: Version = (9, 0, 0)
V10_1: Version = (10, 1, 0)
V10_3_12: Version = (10, 3, 12)

CRUD = frozenset({"GET", "PUT", "POST", "DELETE"})
READ = frozenset({"GET"})
NO_DELETE = frozenset({"GET", "PUT", "POST"})
STRING_LIMIT = 256
TEXT_LIMIT = 65535


@attrs.frozen
class FieldSpec:
    """One field of a noun: its kind, whether clients may write it, from which version it exists."""

    name: str
    kind: str
    writable: bool
    since: Version | None = None


@attrs.frozen
class NounSpec:
    """One top-level REST module."""

    name: str
    verbs: frozenset[str]
    fields: dict[str, FieldSpec]
    merge: bool = False
    since: Version | None = None
    writes_since: Version | None = None
    required: tuple[str, ...] = ()


def parse_version(text: str) -> Version:
    """`10.3.12h` -> (10, 3, 12); letter suffixes are dropped like the C# client does."""
    parts: list[int] = []
    for chunk in text.strip().split("."):
        digits = ""
        for ch in chunk:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


_GATED: dict[str, Version] = {
    "hero_image_id": V9,
    "replaced": V9,
    "replaced_user_id": V9,
    "rest_code": V10_1,
}


def _fields(spec: str) -> dict[str, FieldSpec]:
    out: dict[str, FieldSpec] = {}
    for token in spec.split():
        name, kind = token.split(":")
        writable = not kind.endswith("!")
        kind = kind.rstrip("!")
        out[name] = FieldSpec(name, kind, writable and kind != "c", _GATED.get(name))
    return out


def _noun(name: str, verbs: frozenset[str], spec: str, **kw: object) -> NounSpec:
    return NounSpec(name, verbs, _fields("id:i! " + spec), **kw)  # type: ignore[arg-type]


_FILE_FIELDS = (
    "filename:s! original_filename:s category_id:i project_id:i access_level:i "
    "alternate_store_id:i caption:t description:t rank:i photographer_id:i copyright_holder_id:i "
    "user_id:i! click_count:i! download_count:i! contains_audio:b! contains_video:b! duration:f! "
    "md5_at_upload:s! md5_now:s! rotation_since_upload:i! rotate_degrees:i processing_failures:i! "
    "recheck:b created:d! uploaded:d! updated:d! replaced:d! deleted:d! replaced_user_id:i! "
    "deleted_user_id:i! alive:b"
)

NOUNS: dict[str, NounSpec] = {
    n.name: n
    for n in (
        _noun("AccessLevels", READ, "label:s"),
        _noun(
            "Albums",
            CRUD,
            "name:s code:s! description:t user_id:i! company_album:b approved_company_album:b "
            "my_album:c shared_album:b share_with_all_users:b all_users_can_modify:b can_modify:c "
            "locked:b private_image_count:s! public_image_count:s! unapproved_image_count:s! "
            "created:d! updated:d!",
            merge=True,
            writes_since=V8_1_11,
            required=("name",),
        ),
        _noun("AlternateStores", READ, "name:s storage_name:s"),
        _noun("AspectRatios", READ, "code:s label:s"),
        _noun(
            "Categories",
            frozenset({"GET", "PUT"}),
            "name:s code:s description:t alive:b display_order:i default_access_level:i "
            "default_rank:i maximum_rank:i projects_category:b! updated:d!",
        ),
        _noun(
            "CopyrightHolders",
            NO_DELETE,
            "name:s copyright_policy_id:i updated:d!",
            merge=True,
            required=("name",),
        ),
        _noun(
            "CopyrightPolicies",
            CRUD,
            "name:s code:s description:t updated:d!",
            merge=True,
            required=("name",),
        ),
        _noun(
            "DataIntegrations",
            READ,
            "name:s data_integration_type:s address:s alive:b version:s last_ping:d last_connect:d",
        ),
        _noun(
            "Employees",
            CRUD,
            "code:s descriptor:s! hero_image_id:i first_name:s last_name:s email:s updated:d!",
            required=("first_name",),
        ),
        _noun(
            "EmployeeKeywords",
            CRUD,
            "name:s employee_keyword_category_id:i employee_count:c updated:d!",
            merge=True,
            required=("name", "employee_keyword_category_id"),
        ),
        _noun(
            "EmployeeKeywordCategories",
            CRUD,
            "name:s code:s display_order:i updated:d!",
            merge=True,
            required=("name",),
        ),
        _noun(
            "Fields",
            CRUD,
            "name:s code:s rest_code:s! field_type:s field_display_type:s cardinality:i "
            "built_in:b! protected:b! alive:b display_order:i include_on_info:b "
            "include_on_search:b updated:d!",
            required=("name", "field_type", "field_display_type"),
        ),
        _noun("Files", CRUD, _FILE_FIELDS),
        _noun(
            "Groups",
            CRUD,
            "name:s alive:b hidden:b expires:b expiry_date:d default_for_new_users:b "
            "can_modify:c updated:d!",
            since=V8_1_11,
            required=("name",),
        ),
        _noun(
            "Keywords",
            CRUD,
            "name:s keyword_category_id:i updated:d!",
            merge=True,
            required=("name", "keyword_category_id"),
        ),
        _noun(
            "KeywordCategories",
            CRUD,
            "name:s code:s category_id:i display_order:i updated:d!",
            merge=True,
            required=("name", "category_id"),
        ),
        _noun("Photographers", NO_DELETE, "name:s updated:d!", merge=True, required=("name",)),
        _noun(
            "Projects",
            CRUD,
            "name:s code:s name_alias_1:s name_alias_2:s code_alias_1:s code_alias_2:s alive:b "
            "hero_image_id:i public_image_count:c private_image_count:c "
            "unapproved_image_count:c updated:d!",
            required=("name", "code"),
        ),
        _noun(
            "ProjectKeywords",
            CRUD,
            "name:s project_keyword_category_id:i project_count:c updated:d!",
            merge=True,
            required=("name", "project_keyword_category_id"),
        ),
        _noun(
            "ProjectKeywordCategories",
            CRUD,
            "name:s code:s display_order:i updated:d!",
            merge=True,
            required=("name",),
        ),
        _noun(
            "Searches",
            NO_DELETE,
            "name:s code:s saved:b locked:b user_id:i! company_saved_search:b "
            "approved_company_saved_search:b share_with_all_users:b all_users_can_modify:b "
            "can_modify:c search_items:j updated:d!",
            required=("name",),
        ),
        _noun(
            "Sizes",
            CRUD,
            "name:s postfix:s original:b! file_format:s colourspace:s width:i height:i "
            "x_resolution:i y_resolution:i quality:i crop_to_fit:b always_create:b alive:b "
            "display_order:i size_protected:b use_for_zip:b use_for_contact_sheet:b "
            "use_for_power_point:b updated:d!",
            required=("name", "postfix"),
        ),
        _noun(
            "TextRewrites",
            READ,
            "text_match:s text_replace:s case_sensitive:b preserve_first_letter_case:b",
        ),
        _noun(
            "Users",
            CRUD,
            "username:s full_name:s email:s alive:b expiry_date:d valid:b protected:b! "
            "current_album_id:i updated:d!",
            required=("username",),
        ),
    )
}

# FieldLookupStrings exist only below /Fields/{id}; they still need a field table.
LOOKUP_STRINGS = _noun("FieldLookupStrings", CRUD, "value:s display_order:i field_id:i!")

# Where each mergeable noun is referenced by a foreign key: noun -> [(table, column)].
FOREIGN_KEYS: dict[str, list[tuple[str, str]]] = {
    "Photographers": [("Files", "photographer_id")],
    "CopyrightHolders": [("Files", "copyright_holder_id")],
    "CopyrightPolicies": [("CopyrightHolders", "copyright_policy_id")],
    "KeywordCategories": [("Keywords", "keyword_category_id")],
    "ProjectKeywordCategories": [("ProjectKeywords", "project_keyword_category_id")],
    "EmployeeKeywordCategories": [("EmployeeKeywords", "employee_keyword_category_id")],
}


def field_visible(spec: FieldSpec, version: Version) -> bool:
    """Whether a server of `version` knows this field at all."""
    return spec.since is None or version >= spec.since
