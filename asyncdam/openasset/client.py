"""`OpenAsset`: the public client, one resource group per noun (`oa.files`, `oa.projects` ...)."""

from __future__ import annotations

from typing import Any

from asyncdam.decoding import DEFAULT_ON_INVALID, OnInvalid, check_on_invalid
from asyncdam.engine.arguments import (
    check_base_url_shape,
    check_bool,
    check_positive_int,
    check_secret,
)
from asyncdam.engine.errors import ConfigurationError, InvalidArgumentError
from asyncdam.engine.request import Request
from asyncdam.engine.service import ServiceBase
from asyncdam.engine.session import Engine
from asyncdam.openasset.auth import SessionKeyAuth, basic_header, token_header
from asyncdam.openasset.context import PROBE_PATH, Context
from asyncdam.openasset.dialect import OpenAssetDialect, default_headers, rest_base
from asyncdam.openasset.files import Files
from asyncdam.openasset.models import (
    AccessLevel,
    Album,
    AlternateStore,
    AspectRatio,
    Category,
    CopyrightHolder,
    CopyrightPolicy,
    DataIntegration,
    Employee,
    EmployeeKeyword,
    EmployeeKeywordCategory,
    Field,
    FieldLookupString,
    FieldValue,
    File,
    Group,
    Keyword,
    KeywordCategory,
    Photographer,
    Project,
    ProjectKeyword,
    ProjectKeywordCategory,
    Ref,
    Search,
    SearchResult,
    Size,
    TextRewrite,
    User,
)
from asyncdam.openasset.nested import Nested
from asyncdam.openasset.nouns import NOUNS
from asyncdam.openasset.resources import Resource
from asyncdam.openasset.versions import Version

DEFAULT_PAGE_SIZE = 500


class Projects(Resource[Project]):
    """`oa.projects` with its keywords, custom field values and files."""

    def __init__(self, ctx: Context) -> None:
        spec = NOUNS["Projects"]
        super().__init__(ctx, spec)
        self.keywords: Nested[Ref] = Nested(ctx, spec, spec.nested["ProjectKeywords"])
        self.fields: Nested[FieldValue] = Nested(ctx, spec, spec.nested["Fields"])
        self.files: Nested[File] = Nested(ctx, spec, spec.nested["Files"])


class Albums(Resource[Album]):
    """`oa.albums` with their files, groups and users."""

    def __init__(self, ctx: Context) -> None:
        spec = NOUNS["Albums"]
        super().__init__(ctx, spec)
        self.files: Nested[Ref] = Nested(ctx, spec, spec.nested["Files"])
        self.groups: Nested[Ref] = Nested(ctx, spec, spec.nested["Groups"])
        self.users: Nested[Ref] = Nested(ctx, spec, spec.nested["Users"])


class Fields(Resource[Field]):
    """`oa.fields` with their lookup strings (options)."""

    def __init__(self, ctx: Context) -> None:
        spec = NOUNS["Fields"]
        super().__init__(ctx, spec)
        self.lookup_strings: Nested[FieldLookupString] = Nested(
            ctx, spec, spec.nested["FieldLookupStrings"]
        )


class Searches(Resource[Search]):
    """`oa.searches` with their groups, users and results."""

    def __init__(self, ctx: Context) -> None:
        spec = NOUNS["Searches"]
        super().__init__(ctx, spec)
        self.groups: Nested[Ref] = Nested(ctx, spec, spec.nested["Groups"])
        self.users: Nested[Ref] = Nested(ctx, spec, spec.nested["Users"])
        self.results: Nested[SearchResult] = Nested(ctx, spec, spec.nested["Results"])


class Groups(Resource[Group]):
    """`oa.groups` (servers 8.1.11+) with their users."""

    def __init__(self, ctx: Context) -> None:
        spec = NOUNS["Groups"]
        super().__init__(ctx, spec)
        self.users: Nested[Ref] = Nested(ctx, spec, spec.nested["Users"])


class Keywords(Resource[Keyword]):
    """`oa.keywords`; `files.add(keyword_id, [file ids])` tags many files at once."""

    def __init__(self, ctx: Context) -> None:
        spec = NOUNS["Keywords"]
        super().__init__(ctx, spec)
        self.files: Nested[Ref] = Nested(ctx, spec, spec.nested["Files"])


class Users(Resource[User]):
    """`oa.users` with the groups each belongs to."""

    def __init__(self, ctx: Context) -> None:
        spec = NOUNS["Users"]
        super().__init__(ctx, spec)
        self.groups: Nested[Ref] = Nested(ctx, spec, spec.nested["Groups"])


def _credential(token: tuple[str | int, str] | None, basic: tuple[str, str] | None) -> str | None:
    if token is not None and basic is not None:
        raise ConfigurationError("pass token= or basic=, not both")
    if token is not None:
        if not isinstance(token, tuple) or len(token) != 2:
            raise InvalidArgumentError(
                "token", f"must be a (token_id, secret) tuple, got {type(token).__name__}"
            )
        token_id = token[0]
        if isinstance(token_id, bool) or not isinstance(token_id, int | str):
            raise InvalidArgumentError("token", "the token id must be an int or a string")
        check_secret("token", str(token_id))
        return token_header(token_id, check_secret("token", token[1]))
    if basic is not None:
        if not isinstance(basic, tuple) or len(basic) != 2:
            raise InvalidArgumentError(
                "basic", f"must be a (username, password) pair, got {type(basic).__name__}"
            )
        # Basic credentials are base64-encoded: any Unicode is fine, only the type matters.
        user = check_secret("basic", basic[0], header=False)
        return basic_header(user, check_secret("basic", basic[1], header=False))
    return None  # anonymous: the server's anonymous access rules apply


class OpenAsset(ServiceBase):
    """Async client for the OpenAsset REST API v1.

    `token=(id, secret)` sends `Authorization: OATU id:secret`, `basic=(user, password)` Basic auth;
    after the first answer only the `X-SessionKey` is sent. Without either, requests run as
    anonymous. Size files on other hosts are fetched by the engine's `stream_external`.
    `on_invalid` says what listings do with an item that is not an object or has no id:
    "skip" (default: counted in `engine.stats.invalid_items`, logged, `invalid_item` hook),
    "raise" (`InvalidItemError` with the page and index) or "raw" (yield the raw value).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: tuple[str | int, str] | None = None,
        basic: tuple[str, str] | None = None,
        engine: Engine | None = None,
        concurrency: int = 2,
        allow_insecure_http: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
        on_invalid: OnInvalid = DEFAULT_ON_INVALID,
        **engine_options: Any,
    ) -> None:
        check_base_url_shape("base_url", base_url)
        check_positive_int("page_size", page_size)
        check_positive_int("concurrency", concurrency)
        check_bool("allow_insecure_http", allow_insecure_http)
        self.auth = SessionKeyAuth(_credential(token, basic))
        dialect = OpenAssetDialect(
            name="openasset",
            base_url=rest_base(base_url, allow_insecure_http=allow_insecure_http),
            auth=self.auth,
            default_headers=default_headers(),
            credential_id=self.auth.credential_id,
            concurrency=concurrency,
            initial_rate=None,
        )
        super().__init__(dialect, engine, **engine_options)
        ctx = Context(
            self._client,
            dialect,
            page_size=page_size,
            concurrency=concurrency,
            token_auth=token is not None,
            on_invalid=check_on_invalid(on_invalid),
        )
        self._ctx = ctx

        def plain(name: str) -> Any:
            return Resource(ctx, NOUNS[name])

        self.access_levels: Resource[AccessLevel] = plain("AccessLevels")
        self.albums = Albums(ctx)
        self.alternate_stores: Resource[AlternateStore] = plain("AlternateStores")
        self.aspect_ratios: Resource[AspectRatio] = plain("AspectRatios")
        self.categories: Resource[Category] = plain("Categories")
        self.copyright_holders: Resource[CopyrightHolder] = plain("CopyrightHolders")
        self.copyright_policies: Resource[CopyrightPolicy] = plain("CopyrightPolicies")
        self.data_integrations: Resource[DataIntegration] = plain("DataIntegrations")
        self.employees: Resource[Employee] = plain("Employees")
        self.employee_keywords: Resource[EmployeeKeyword] = plain("EmployeeKeywords")
        self.employee_keyword_categories: Resource[EmployeeKeywordCategory] = plain(
            "EmployeeKeywordCategories"
        )
        self.fields = Fields(ctx)
        self.files = Files(ctx, NOUNS["Files"])
        self.groups = Groups(ctx)
        self.keywords = Keywords(ctx)
        self.keyword_categories: Resource[KeywordCategory] = plain("KeywordCategories")
        self.photographers: Resource[Photographer] = plain("Photographers")
        self.projects = Projects(ctx)
        self.project_keywords: Resource[ProjectKeyword] = plain("ProjectKeywords")
        self.project_keyword_categories: Resource[ProjectKeywordCategory] = plain(
            "ProjectKeywordCategories"
        )
        self.searches = Searches(ctx)
        self.sizes: Resource[Size] = plain("Sizes")
        self.text_rewrites: Resource[TextRewrite] = plain("TextRewrites")
        self.users = Users(ctx)

    def __repr__(self) -> str:
        return f"<OpenAsset {self.dialect.base_url} auth={self.auth!r}>"

    @property
    def version(self) -> Version | None:
        """The server's version as last reported (`X-OpenAsset-Version`), None before any answer."""
        return self._ctx.dialect.server_version

    async def server_version(self) -> Version | None:
        """The server's version, probing `HEAD /Headers` when no answer has told it yet.

        Returns `Version` (from `X-OpenAsset-Version`), or None when the server does not say. No
        parameter is required. At most one request. A HEAD: retried after transport errors and
        retryable statuses (429, most 5xx).
        """
        return await self._ctx.server_version()

    async def logout(self) -> None:
        """Revoke the session key (`HEAD /Headers?logout=logout`) and forget it.

        Returns None. No parameter is required; without a session key nothing is sent. A HEAD:
        retried after transport errors and retryable statuses.
        """
        if self.auth.has_session_key:
            await self._ctx.send(
                Request(method="HEAD", path=PROBE_PATH, query={"logout": "logout"})
            )
        self.auth.forget_session()
