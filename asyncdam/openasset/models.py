"""Frozen attrs models of the OpenAsset nouns; unknown or unreadable keys are kept in `extra`.

Every field is optional because `displayFields` trims objects and versions differ. Flags read as
bool, dates as naive datetimes (server-local), ids as ints whatever form the server used.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import attrs

from asyncdam.decoding.problems import DecodeProblem, problems_field

_dt_ = _dt.datetime


@attrs.frozen(kw_only=True)
class Model:
    """Base of every OpenAsset model: an `id` and the keys this library does not model."""

    id: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
    problems: tuple[DecodeProblem, ...] = problems_field()


@attrs.frozen(kw_only=True)
class Ref:
    """A nested link entry (`{"id": n}`), e.g. a file's keyword or an album's file."""

    id: int | None = None
    display_order: int | None = None
    can_modify: bool | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
    problems: tuple[DecodeProblem, ...] = problems_field()


@attrs.frozen(kw_only=True)
class FieldValue:
    """A custom field value on a file, project or employee: `{"id": fieldId, "values": [...]}`."""

    id: int | None = None
    values: list[Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
    problems: tuple[DecodeProblem, ...] = problems_field()


@attrs.frozen(kw_only=True)
class FileSize(Model):
    """A generated size of one file (`/Files/{id}/Sizes`): where to download it and its shape."""

    width: int | None = None
    height: int | None = None
    file_format: str | None = None
    colourspace: str | None = None
    x_resolution: int | None = None
    y_resolution: int | None = None
    quality: int | None = None
    filesize: int | None = None
    cropped: bool | None = None
    watermarked: bool | None = None
    recreate: bool | None = None
    allow_use: bool | None = None
    http_root: str | None = None
    http_relative_path: str | None = None
    relative_path: str | None = None
    unc_root: str | None = None
    default_office_size: bool | None = None


@attrs.frozen(kw_only=True)
class AccessLevel(Model):
    """An access level."""

    label: str | None = None


@attrs.frozen(kw_only=True)
class Album(Model):
    """An album of files; image counts are comma strings, one per access level."""

    name: str | None = None
    code: str | None = None
    description: str | None = None
    user_id: int | None = None
    company_album: bool | None = None
    approved_company_album: bool | None = None
    my_album: bool | None = None
    shared_album: bool | None = None
    share_with_all_users: bool | None = None
    all_users_can_modify: bool | None = None
    can_modify: bool | None = None
    locked: bool | None = None
    private_image_count: str | None = None
    public_image_count: str | None = None
    unapproved_image_count: str | None = None
    created: _dt_ | None = None
    updated: _dt_ | None = None
    files: list[Ref] | None = None
    groups: list[Ref] | None = None
    users: list[Ref] | None = None


@attrs.frozen(kw_only=True)
class AlternateStore(Model):
    """An alternate storage location (read-only)."""

    name: str | None = None
    storage_name: str | None = None


@attrs.frozen(kw_only=True)
class AspectRatio(Model):
    """An aspect ratio (read-only)."""

    code: str | None = None
    label: str | None = None


@attrs.frozen(kw_only=True)
class Category(Model):
    """A file category; `projects_category` means its files need a project."""

    name: str | None = None
    code: str | None = None
    description: str | None = None
    alive: bool | None = None
    display_order: int | None = None
    default_access_level: int | None = None
    default_rank: int | None = None
    maximum_rank: int | None = None
    projects_category: bool | None = None
    updated: _dt_ | None = None


@attrs.frozen(kw_only=True)
class CopyrightHolder(Model):
    """A copyright holder."""

    name: str | None = None
    copyright_policy_id: int | None = None
    updated: _dt_ | None = None


@attrs.frozen(kw_only=True)
class CopyrightPolicy(Model):
    """A copyright policy."""

    name: str | None = None
    code: str | None = None
    description: str | None = None
    updated: _dt_ | None = None


@attrs.frozen(kw_only=True)
class DataIntegration(Model):
    """A CRM data integration (read-only)."""

    name: str | None = None
    data_integration_type: str | None = None
    address: str | None = None
    alive: bool | None = None
    version: str | None = None
    last_ping: _dt_ | None = None
    last_connect: _dt_ | None = None


@attrs.frozen(kw_only=True)
class Employee(Model):
    """An employee; custom fields arrive as extra top-level keys named by `rest_code`."""

    code: str | None = None
    descriptor: str | None = None
    hero_image_id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    updated: _dt_ | None = None
    fields: list[FieldValue] | None = None


@attrs.frozen(kw_only=True)
class EmployeeKeyword(Model):
    """An employee keyword."""

    name: str | None = None
    employee_keyword_category_id: int | None = None
    employee_count: int | None = None
    updated: _dt_ | None = None


@attrs.frozen(kw_only=True)
class EmployeeKeywordCategory(Model):
    """A category of employee keywords."""

    name: str | None = None
    code: str | None = None
    display_order: int | None = None
    updated: _dt_ | None = None


@attrs.frozen(kw_only=True)
class FieldLookupString(Model):
    """One option of a suggestion/option field."""

    value: str | None = None
    display_order: int | None = None
    field_id: int | None = None


@attrs.frozen(kw_only=True)
class Field(Model):
    """A custom field definition."""

    name: str | None = None
    code: str | None = None
    rest_code: str | None = None
    field_type: str | None = None
    field_display_type: str | None = None
    cardinality: int | None = None
    built_in: bool | None = None
    protected: bool | None = None
    alive: bool | None = None
    display_order: int | None = None
    include_on_info: bool | None = None
    include_on_search: bool | None = None
    updated: _dt_ | None = None
    fieldLookupStrings: list[FieldLookupString] | None = None


@attrs.frozen(kw_only=True)
class File(Model):
    """A file (asset) with its metadata; expansions fill keywords, fields, sizes, albums."""

    filename: str | None = None
    original_filename: str | None = None
    category_id: int | None = None
    project_id: int | None = None
    access_level: int | None = None
    alternate_store_id: int | None = None
    caption: str | None = None
    description: str | None = None
    rank: int | None = None
    photographer_id: int | None = None
    copyright_holder_id: int | None = None
    user_id: int | None = None
    click_count: int | None = None
    download_count: int | None = None
    contains_audio: bool | None = None
    contains_video: bool | None = None
    duration: float | None = None
    md5_at_upload: str | None = None
    md5_now: str | None = None
    rotation_since_upload: int | None = None
    rotate_degrees: int | None = None
    processing_failures: int | None = None
    recheck: bool | None = None
    created: _dt_ | None = None
    uploaded: _dt_ | None = None
    updated: _dt_ | None = None
    replaced: _dt_ | None = None
    deleted: _dt_ | None = None
    replaced_user_id: int | None = None
    deleted_user_id: int | None = None
    alive: bool | None = None
    keywords: list[Ref] | None = None
    fields: list[FieldValue] | None = None
    sizes: list[FileSize] | None = None
    albums: list[Ref] | None = None


@attrs.frozen(kw_only=True)
class Group(Model):
    """A user group (servers 8.1.11 and newer)."""

    name: str | None = None
    alive: bool | None = None
    hidden: bool | None = None
    expires: bool | None = None
    expiry_date: _dt_ | None = None
    default_for_new_users: bool | None = None
    can_modify: bool | None = None
    updated: _dt_ | None = None
    users: list[Ref] | None = None


@attrs.frozen(kw_only=True)
class Keyword(Model):
    """A file keyword."""

    name: str | None = None
    keyword_category_id: int | None = None
    updated: _dt_ | None = None


@attrs.frozen(kw_only=True)
class KeywordCategory(Model):
    """A category of file keywords, scoped to a file category."""

    name: str | None = None
    code: str | None = None
    category_id: int | None = None
    display_order: int | None = None
    updated: _dt_ | None = None


@attrs.frozen(kw_only=True)
class Photographer(Model):
    """A photographer."""

    name: str | None = None
    updated: _dt_ | None = None


@attrs.frozen(kw_only=True)
class Project(Model):
    """A project; custom field values come with the `fields` expansion."""

    name: str | None = None
    code: str | None = None
    name_alias_1: str | None = None
    name_alias_2: str | None = None
    code_alias_1: str | None = None
    code_alias_2: str | None = None
    alive: bool | None = None
    hero_image_id: int | None = None
    public_image_count: int | None = None
    private_image_count: int | None = None
    unapproved_image_count: int | None = None
    updated: _dt_ | None = None
    projectKeywords: list[Ref] | None = None
    fields: list[FieldValue] | None = None
    albums: list[Ref] | None = None


@attrs.frozen(kw_only=True)
class ProjectKeyword(Model):
    """A project keyword."""

    name: str | None = None
    project_keyword_category_id: int | None = None
    project_count: int | None = None
    updated: _dt_ | None = None


@attrs.frozen(kw_only=True)
class ProjectKeywordCategory(Model):
    """A category of project keywords."""

    name: str | None = None
    code: str | None = None
    display_order: int | None = None
    updated: _dt_ | None = None


@attrs.frozen(kw_only=True)
class SearchItem:
    """One criterion of a saved search."""

    code: str | None = None
    operator: str | None = None
    exclude: bool | None = None
    ids: list[Any] | None = None
    values: list[Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)
    problems: tuple[DecodeProblem, ...] = problems_field()


@attrs.frozen(kw_only=True)
class Search(Model):
    """A saved search."""

    name: str | None = None
    code: str | None = None
    saved: bool | None = None
    locked: bool | None = None
    user_id: int | None = None
    company_saved_search: bool | None = None
    approved_company_saved_search: bool | None = None
    share_with_all_users: bool | None = None
    all_users_can_modify: bool | None = None
    can_modify: bool | None = None
    search_items: list[SearchItem] | None = None
    updated: _dt_ | None = None


@attrs.frozen(kw_only=True)
class SearchResult(Model):
    """One entry of `/Searches/{id}/Results`."""

    file_id: int | None = None


@attrs.frozen(kw_only=True)
class Size(Model):
    """A size definition (id 1 is the original)."""

    name: str | None = None
    postfix: str | None = None
    original: bool | None = None
    file_format: str | None = None
    colourspace: str | None = None
    width: int | None = None
    height: int | None = None
    x_resolution: int | None = None
    y_resolution: int | None = None
    quality: int | None = None
    crop_to_fit: bool | None = None
    always_create: bool | None = None
    alive: bool | None = None
    display_order: int | None = None
    size_protected: bool | None = None
    use_for_zip: bool | None = None
    use_for_contact_sheet: bool | None = None
    use_for_power_point: bool | None = None
    updated: _dt_ | None = None


@attrs.frozen(kw_only=True)
class TextRewrite(Model):
    """A text rewrite rule (read-only)."""

    text_match: str | None = None
    text_replace: str | None = None
    case_sensitive: bool | None = None
    preserve_first_letter_case: bool | None = None


@attrs.frozen(kw_only=True)
class User(Model):
    """A user account."""

    username: str | None = None
    full_name: str | None = None
    email: str | None = None
    alive: bool | None = None
    expiry_date: _dt_ | None = None
    valid: bool | None = None
    protected: bool | None = None
    current_album_id: int | None = None
    updated: _dt_ | None = None
    groups: list[Ref] | None = None
