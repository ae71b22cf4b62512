"""Where the CLI finds credentials: environment variables, then a TOML config file with profiles.

A secret never comes from a command-line argument (other users can read it in `ps`) unless the
user insists with `--token-insecure`, which prints a warning. Nothing here prints a secret.

Config file (`$ASYNCDAM_CONFIG`, else `$XDG_CONFIG_HOME/asyncdam/config.toml`, else
`~/.config/asyncdam/config.toml`)::

    [default.phrase]
    token = "..."
    [work.openasset]
    token = "12:secret"
    base_url = "https://acme.openasset.com"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from asyncdam.engine.arguments import check_base_url_shape
from asyncdam.engine.errors import InvalidArgumentError
from asyncdam.engine.keys import short_hash

__all__ = [
    "CredentialError",
    "Credentials",
    "config_path",
    "resolve",
]

SERVICES = ("phrase", "phraseanet", "openasset")


class CredentialError(Exception):
    """No usable credential was found, or the config file is broken (message is user-facing)."""


@attrs.frozen
class Credentials:
    """A resolved credential and where it came from (`source` is safe to print)."""

    service: str
    token: str = attrs.field(repr=False)
    base_url: str | None
    source: str

    @property
    def fingerprint(self) -> str:
        """A short hash of the secret, to tell credentials apart in messages."""
        return short_hash(self.token)

    def openasset_pair(self) -> tuple[str, str]:
        """The OpenAsset `(id, secret)` pair from an `id:secret` token."""
        token_id, sep, secret = self.token.partition(":")
        if not sep or not token_id or not secret:
            raise CredentialError(
                f"the OpenAsset credential from {self.source} must have the form ID:SECRET"
            )
        return token_id, secret


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The config file the CLI reads."""
    env = os.environ if environ is None else environ
    if env.get("ASYNCDAM_CONFIG"):
        return Path(env["ASYNCDAM_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "asyncdam" / "config.toml"


def _load_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message names a line and column, never the file's content.
        raise CredentialError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise CredentialError(f"cannot read config file {path}: {exc.strerror}") from None


def resolve(
    service: str,
    *,
    profile: str | None = None,
    insecure_token: str | None = None,
    base_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    warn: Any = None,
) -> Credentials:
    """The credential for `service`: `--token-insecure`, else environment, else config profile.

    `base_url` (from `--base-url`) wins over `ASYNCDAM_<SERVICE>_BASE_URL` and the profile's.
    `warn` is called with a message when the insecure argument is used.
    """
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    env = os.environ if environ is None else environ
    prefix = f"ASYNCDAM_{service.upper()}_"
    chosen_profile = profile or env.get("ASYNCDAM_PROFILE") or "default"
    path = config_path(env)
    section: Mapping[str, Any] = {}
    config = _load_config(path)
    if config:
        profile_table = config.get(chosen_profile, {})
        if not isinstance(profile_table, Mapping):
            raise CredentialError(f"profile {chosen_profile!r} in {path} is not a table")
        found = profile_table.get(service, {})
        if not isinstance(found, Mapping):
            raise CredentialError(f"[{chosen_profile}.{service}] in {path} is not a table")
        section = found
    elif profile is not None and profile != "default":
        raise CredentialError(f"profile {profile!r} requested but {path} does not exist")

    where = f"[{chosen_profile}.{service}] in {path}"
    url = _base_url(
        (base_url, "--base-url"),
        (env.get(prefix + "BASE_URL"), f"${prefix}BASE_URL"),
        (_setting(section, "base_url", where), f"base_url of {where}"),
    )
    if insecure_token:
        if warn is not None:
            warn(
                "warning: a token on the command line is visible to other users (ps, shell "
                f"history); prefer {prefix}TOKEN or {path}"
            )
        return _checked(Credentials(service, insecure_token, url, "--token-insecure"))
    token = env.get(prefix + "TOKEN")
    if token:
        return _checked(Credentials(service, token, url, f"${prefix}TOKEN"))
    token = _setting(section, "token", where)
    if token:
        return _checked(Credentials(service, token, url, where))
    raise CredentialError(
        f'no {service} credential: set {prefix}TOKEN or add token = "..." under {where}'
    )


def _setting(section: Mapping[str, Any], name: str, where: str) -> str | None:
    """A string setting; a TOML integer (`token = 12345`) is read as its digits."""
    value = section.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise CredentialError(f"{name} under {where} must be a string, not {_toml_kind(value)}")
    return value or None


def _toml_kind(value: Any) -> str:
    kinds = {bool: "a boolean", float: "a number", list: "an array", dict: "a table"}
    return next((label for kind, label in kinds.items() if isinstance(value, kind)), "that")


def _base_url(*candidates: tuple[str | None, str]) -> str | None:
    """The first base URL given, checked here so a typo is named with where it came from."""
    for value, source in candidates:
        if not value:
            continue
        try:
            return check_base_url_shape("base_url", value)
        except InvalidArgumentError as exc:
            reason = str(exc).removeprefix("base_url: ")
            raise CredentialError(f"the base URL from {source} {reason}") from None
    return None


def _checked(creds: Credentials) -> Credentials:
    """Refuse a token no HTTP header can carry, naming its source (never its value)."""
    if not creds.token.isascii():
        raise CredentialError(
            f"the {creds.service} token from {creds.source} contains non-ASCII characters; "
            "tokens are plain ASCII (was it pasted with a typographic character?)"
        )
    if creds.token != creds.token.strip() or not creds.token.isprintable():
        raise CredentialError(
            f"the {creds.service} token from {creds.source} contains spaces or control "
            "characters at its ends or inside"
        )
    return creds


def service_options(func: Any) -> Any:
    """The options every service command shares: profile, base URL, insecure token, debug."""
    import click

    options = [
        click.option("--profile", default=None, help="Config file profile (default: 'default')."),
        click.option(
            "--base-url",
            default=None,
            help="API base URL (self-hosted services, emulators); else from env or profile.",
        ),
        click.option(
            "--token-insecure",
            default=None,
            metavar="TOKEN",
            help="Pass the secret as an argument (visible in ps; prefer env or config file).",
        ),
        click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors."),
    ]
    for option in reversed(options):
        func = option(func)
    return func
