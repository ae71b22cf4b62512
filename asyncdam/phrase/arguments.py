"""What `Phrase(...)` checks before building anything: each bad argument named in a typed error."""

from __future__ import annotations

from collections.abc import Mapping

from asyncdam.engine.arguments import (
    check_base_url_shape,
    check_bool,
    check_choice,
    check_optional_text,
    check_positive_int,
    check_secret,
)
from asyncdam.phrase.dialect import REGIONS

__all__ = ["check_arguments"]


def check_arguments(
    *,
    token: object,
    region: object,
    base_url: object,
    concurrency: object,
    user_agent_contact: object,
    email: object,
    password: object,
    otp: object,
    flags: Mapping[str, object],
) -> None:
    """Refuse a wrongly typed or shaped argument with `InvalidArgumentError` naming it."""
    if token is not None:
        check_secret("token", token)
    if email is not None:
        check_secret("email", email, header=False)
    if password is not None:
        # Basic credentials are base64-encoded, so any Unicode password is fine.
        check_secret("password", password, header=False)
    if otp is not None:
        check_secret("otp", otp)
    check_choice("region", region, tuple(REGIONS))
    if base_url is not None:
        check_base_url_shape("base_url", base_url)
    check_positive_int("concurrency", concurrency)
    check_optional_text("user_agent_contact", user_agent_contact)
    for name, value in flags.items():
        check_bool(name, value)
