"""The emulated services by name: how to build each app and where its API is mounted."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Literal, cast, get_args

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.faults import ASGIApp

ServiceName = Literal["phrase", "phraseanet", "openasset"]
SERVICES: tuple[ServiceName, ...] = get_args(ServiceName)


def _load(service: str) -> ModuleType:
    """The emulator package of `service`, checked to provide `create_app` and `BASE_PATH`."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    module = importlib.import_module(f"asyncdam.emulator.{service}")
    missing = [name for name in ("create_app", "BASE_PATH") if not hasattr(module, name)]
    if missing:
        raise ImportError(f"asyncdam.emulator.{service} does not provide {', '.join(missing)}")
    return module


def create_app(service: str, config: EmulatorConfig | None = None) -> ASGIApp:
    """Build the emulator app of `service` (imported only now, as it needs starlette)."""
    return cast(
        ASGIApp, _load(service).create_app(config if config is not None else EmulatorConfig())
    )


def base_path(service: str) -> str:
    """The path prefix of `service`'s API on the emulator ("/v2" for Phrase, "" otherwise)."""
    return cast(str, _load(service).BASE_PATH)


def is_available(service: str) -> bool:
    """Whether the emulator package of `service` can be imported and provides its app."""
    try:
        _load(service)
    except ImportError:
        return False
    return True
