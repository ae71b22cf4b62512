"""With the Phrase emulator's quirk profile on, the client loses nothing: same ids, same names.

Projects, locales, keys, translations, tags and branches are listed twice from emulators of the
same seed, once polite and once sending numbers and flags as strings, tags as a comma string,
missing optional fields, unknown fields and unknown `state` values; ids and names must match.
"""

from __future__ import annotations

from typing import Any

import httpx

from asyncdam.emulator.config import EmulatorConfig, QuirkConfig
from asyncdam.emulator.phrase import create_app
from asyncdam.engine.session import Engine
from asyncdam.phrase import Phrase

QUIRKS = QuirkConfig(enabled=True, rate=0.35)


async def _snapshot(app: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with Engine(transport=httpx.ASGITransport(app=app)) as engine:
        phrase = Phrase(token="test-token", base_url="http://localhost/v2", engine=engine)
        projects = [p async for p in phrase.projects.list()]
        out["projects"] = sorted((p.id, p.name) for p in projects)
        project = sorted(p.id or "" for p in projects)[0]
        out["locales"] = sorted(
            [(x.id, x.name, x.code) async for x in phrase.locales.list(project)]
        )
        keys = [k async for k in phrase.keys.list(project)]
        out["keys"] = sorted((k.id, k.name) for k in keys)
        out["key_tags"] = sorted((k.id, sorted(k.tags or [])) for k in keys)
        out["translations"] = sorted(
            [(t.id, t.content) async for t in phrase.translations.list(project)]
        )
    return out


async def test_quirks_lose_nothing() -> None:
    polite = create_app(EmulatorConfig(seed=3, size=0.3))
    quirky = create_app(EmulatorConfig(seed=3, size=0.3, quirks=QUIRKS))
    plain, odd = await _snapshot(polite), await _snapshot(quirky)
    assert plain["keys"] and plain["translations"] and plain["locales"]
    # The quirks these payloads can carry were sent (they hold few numbers and no id-less
    # nested objects; id-keyed lists are a PHP servers' quirk).
    sent = set(quirky.state.quirk_stats.applied)
    assert sent >= {"bool_strings", "comma_lists", "missing_optional", "extra_fields"}, sent
    for key in plain:
        assert odd[key] == plain[key], key
