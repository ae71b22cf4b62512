"""Server versions (`X-OpenAsset-Version`) and the features each one gates."""

from __future__ import annotations

from asyncdam.engine.errors import AsyncDamError

Version = tuple[int, ...]

V8_1_11: Version = (8, 1, 11)
V9: Version = (9, 0, 0)
V10_1: Version = (10, 1, 0)
V10_3_12: Version = (10, 3, 12)

# feature name -> the first version that has it (fact sheet, section 1 and 7)
GATES: dict[str, Version] = {
    "Groups": V8_1_11,
    "Album writes": V8_1_11,
    "nested writes": V8_1_11,
    "GET over POST": V9,
    "hero_image_id": V9,
    "rest_code": V10_1,
    "OATU token authentication": V10_3_12,
    "replaced": V9,
    "replaced_user_id": V9,
    "http_relative_path": V9,
}
# Fields that only newer servers know: naming one in a query or a write is refused below its gate.
FIELD_GATES = frozenset({"hero_image_id", "rest_code", "replaced", "replaced_user_id"})


def parse_version(text: str) -> Version:
    """`10.3.12h` -> (10, 3, 12): letter suffixes dropped, missing parts read as 0."""
    parts: list[int] = []
    for chunk in text.strip().split("."):
        digits = ""
        for ch in chunk:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def format_version(version: Version) -> str:
    """(8, 1, 11) -> "8.1.11"."""
    return ".".join(str(p) for p in version)


class FeatureNotSupported(AsyncDamError):
    """The server's OpenAsset version lacks a feature; nothing was sent for it."""

    def __init__(self, feature: str, required: Version, server: Version) -> None:
        self.feature = feature
        self.required = required
        self.server = server
        super().__init__(
            f"{feature} needs OpenAsset {format_version(required)} or newer; "
            f"this server runs {format_version(server)}"
        )


def require(feature: str, server: Version | None) -> None:
    """Raise `FeatureNotSupported` when a known server version is below the feature's gate."""
    needed = GATES[feature]
    if server is not None and server < needed:
        raise FeatureNotSupported(feature, needed, server)
