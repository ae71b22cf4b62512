"""File formats Phrase accepts for uploads and downloads, checked before anything is sent.

The spec does not enumerate them, so a built-in list of the documented `api_name`s is used; a
client that loaded the live `GET /formats` list (free: no quota) widens it with `register_formats`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from asyncdam.engine.errors import InvalidRequestError

__all__ = ["KNOWN_FORMATS", "check_file_format", "register_formats"]

KNOWN_FORMATS: set[str] = {
    "android", "angular_translate", "arb", "csv", "ember_js", "episerver", "gettext",
    "gettext_mo", "gettext_template", "go_i18n", "i18next", "ini", "json", "laravel",
    "mozilla_properties", "nested_json", "node_json", "php_array", "plist", "properties",
    "properties_xml", "qph", "react_nested_json", "react_simple_json", "resx",
    "resx_windowsphone", "simple_json", "strings", "stringsdict", "tmx", "ts",
    "windows8_resource", "xcstrings", "xlf", "xliff_2", "xlsx", "yml", "yml_symfony",
    "yml_symfony2", "zendxlf",
}  # fmt: skip

_SHAPE = re.compile(r"^[a-z0-9_]{1,64}$")


def register_formats(names: Iterable[str]) -> None:
    """Accept more format names (e.g. the `api_name`s from `GET /formats`)."""
    for name in names:
        if _SHAPE.match(name):
            KNOWN_FORMATS.add(name)


def check_file_format(name: str) -> str:
    """Return `name` if it is a known format, else raise `InvalidRequestError`."""
    if name not in KNOWN_FORMATS:
        hint = "load the live list with `await phrase.load_formats()` if it is new"
        raise InvalidRequestError(f"unknown file_format {name!r}; {hint}")
    return name
