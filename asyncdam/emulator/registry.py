"""The emulated services by name: how to build each app and where its API is mounted."""

from __future__ import annotations

import importlib
from typing import Literal, cast, get_args

from asyncdam.emulator.config import EmulatorConfig
from asyncdam.emulator.faults import ASGIApp

ServiceName = Literal["phrase", "phraseanet", "openasset"]
SERVICES: tuple[ServiceName, ...] = get_args(ServiceName)


def _module_name(service: str) -> str:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    return f"asyncdam.emulator.{service}"


def create_app(service: str, config: EmulatorConfig | None = None) -> ASGIApp:
    """Build the emulator app of `service` (imported only now, as it needs starlette)."""
    module = importlib.import_module(_module_name(service))
    return cast(ASGIApp, module.create_app(config if config is not None else EmulatorConfig()))


def base_path(service: str) -> str:
    """The path prefix of `service`'s API on the emulator ("/v2" for Phrase, "" otherwise)."""
    module = importlib.import_module(_module_name(service))
    return cast(str, module.BASE_PATH)


def is_available(service: str) -> bool:
    """Whether the emulator package of `service` exists (and its imports succeed)."""
    try:
        importlib.import_module(_module_name(service))
    except ImportError:
        return False
    return True
