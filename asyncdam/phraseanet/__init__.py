"""The Phraseanet adapter: `asyncdam.Phraseanet(base_url, token=... | oauth=PasswordGrant(...))`.

Resource groups: `records`, `stories`, `databoxes`, `collections`, `baskets`, `feeds`,
`quarantine`, `me`, `orders`, `uploads`, `downloads`. OAuth2 helpers: `password_grant`,
`authorize_url`, `exchange_code`. Errors specific to Phraseanet: `InvalidToken`,
`PermissionDenied`, `OAuthRequestError`, and `error_meta()` (see `asyncdam.phraseanet.errors`).
"""

from asyncdam.phraseanet.client import Phraseanet
from asyncdam.phraseanet.errors import (
    ErrorMeta,
    InvalidToken,
    OAuthRequestError,
    PermissionDenied,
    error_meta,
)
from asyncdam.phraseanet.oauth import (
    PasswordGrant,
    TokenGrant,
    authorize_url,
    exchange_code,
    password_grant,
)

__all__ = [
    "ErrorMeta",
    "InvalidToken",
    "OAuthRequestError",
    "PasswordGrant",
    "PermissionDenied",
    "Phraseanet",
    "TokenGrant",
    "authorize_url",
    "error_meta",
    "exchange_code",
    "password_grant",
]
