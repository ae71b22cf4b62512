"""`create_app`: the Phraseanet emulator as a Starlette app, seeded from an EmulatorConfig."""

from __future__ import annotations

import hashlib
import time

from starlette.applications import Starlette
from starlette.routing import Route

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.phraseanet import auth
from asyncdam.emulator.phraseanet.core import PhraseanetCore, Stats
from asyncdam.emulator.phraseanet.router import Router
from asyncdam.emulator.phraseanet.routes import build_routes
from asyncdam.emulator.phraseanet.seed import seed_store
from asyncdam.emulator.phraseanet.store import User


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """A fresh emulator app; switches live on `app.state` (see the package docstring)."""
    config = config or EmulatorConfig()
    user = User(
        id=1,
        login=auth.EMULATOR_USERNAME,
        email="emulator@example.org",
        password=auth.EMULATOR_PASSWORD,
        first_name="Emma",
        last_name="Ulator",
    )
    store = seed_store(config.seed, config.size, user)
    secret = hashlib.sha256(f"phraseanet-emulator:{config.seed}".encode()).digest()
    core = PhraseanetCore(
        config, store, auth.default_registry(config.token), Router(list(build_routes())), secret
    )
    # No method list: the core answers wrong methods itself, with the envelope and `Allow`.
    app = Starlette(routes=[Route("/{path:path}", endpoint=core)])
    app.state.stats = Stats()
    app.state.store = store
    app.state.tokens = core.registry
    app.state.header_only = False
    app.state.require_ssl = False
    app.state.keyed_objects = True
    app.state.clock = time.time
    app.state.quirk_stats = core.quirk_stats
    core.state = app.state
    return app
