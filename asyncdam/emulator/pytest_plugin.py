"""pytest fixtures for testing code that uses asyncdam against the emulators (plugin `asyncdam`).

``phrase_emulator`` / ``phraseanet_emulator`` / ``openasset_emulator`` give an in-process emulator
(`EmulatorHandle`: `.app`, `.transport`, `.base_url`, `.token`); ``phrase_server`` and friends a
real loopback server (`EmulatorServer`: `.base_url`, `.token`). Both have `.token_pair`, the
OpenAsset `(id, secret)` the client takes. Override ``emulator_config`` to
change the seed, credential, quota or faults. Without starlette/uvicorn the fixtures skip.

Profiles on top of that config: ``@pytest.mark.emulator_quirks(rate=0.5, kinds=[...])`` (or the
``--emulator-quirks`` command-line option, for a whole run) makes the emulators send the real
services' payload quirks; ``@pytest.mark.emulator_faults(redirect_rate=1.0, ...)`` takes any
`FaultConfig` field. The ``emulator_quirks`` and ``emulator_faults`` fixtures can be overridden too.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import attrs
import httpx
import pytest

from asyncdam.emulator.config import EmulatorConfig, FaultConfig, QuirkConfig
from asyncdam.emulator.faults import ASGIApp
from asyncdam.emulator.registry import base_path, create_app
from asyncdam.emulator.runner import EmulatorServer
from asyncdam.emulator.transport import emulator_transport


@attrs.frozen(repr=False)
class EmulatorHandle:
    """One in-process emulator: send requests to `base_url` through `transport`."""

    service: str
    config: EmulatorConfig
    app: ASGIApp
    transport: httpx.AsyncBaseTransport
    base_url: str

    @property
    def token(self) -> str:
        """The credential the emulator accepts."""
        return self.config.token

    @property
    def token_pair(self) -> tuple[str, str]:
        """The token as the `(id, secret)` pair `OpenAsset(token=...)` takes (from `ID:SECRET`)."""
        from asyncdam.emulator.openasset.auth import split_token

        return split_token(self.config.token)

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """A plain httpx client wired to this emulator (no credentials set)."""
        return httpx.AsyncClient(transport=self.transport, base_url=self.base_url, **kwargs)

    def __repr__(self) -> str:
        # Not the attrs default: the config holds the credential.
        return f"EmulatorHandle(service={self.service!r}, base_url={self.base_url!r})"


def in_process_emulator(service: str, config: EmulatorConfig | None = None) -> EmulatorHandle:
    """Build `service`'s emulator app and an httpx transport into it (no socket, no thread)."""
    config = config if config is not None else EmulatorConfig()
    app = create_app(service, config)
    # A `.localhost` name is loopback by RFC 6761, so clients accept plain http to it.
    base_url = f"http://{service}.emulator.localhost{base_path(service)}"
    return EmulatorHandle(
        service=service,
        config=config,
        app=app,
        transport=emulator_transport(app),
        base_url=base_url,
    )


def _require(*modules: str) -> None:
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed; install 'asyncdam[emulator]'")


def _in_process(service: str, config: EmulatorConfig) -> EmulatorHandle:
    _require("starlette")
    return in_process_emulator(service, config)


def _served(service: str, config: EmulatorConfig) -> Iterator[EmulatorServer]:
    _require("starlette", "uvicorn")
    with EmulatorServer(service, config) as server:
        yield server


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--emulator-quirks`: every emulator fixture of the run sends the services' quirks."""
    group = parser.getgroup("asyncdam")
    group.addoption(
        "--emulator-quirks",
        action="store_true",
        default=False,
        help="asyncdam emulator fixtures send real-server payload quirks",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the plugin's markers."""
    config.addinivalue_line(
        "markers", "emulator_quirks(rate=0.35, kinds=None): emulators send payload quirks"
    )
    config.addinivalue_line(
        "markers", "emulator_faults(**FaultConfig fields): emulators inject these faults"
    )


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Settings for the emulator fixtures; override this fixture to change them."""
    return EmulatorConfig()


@pytest.fixture
def emulator_quirks(request: pytest.FixtureRequest) -> QuirkConfig | None:
    """Quirks from `@pytest.mark.emulator_quirks` or `--emulator-quirks` (None: the config's)."""
    marker = request.node.get_closest_marker("emulator_quirks")
    if marker is not None:
        options = dict(marker.kwargs)
        if options.get("kinds") is not None:
            options["kinds"] = frozenset(options["kinds"])
        else:
            options.pop("kinds", None)
        return QuirkConfig(enabled=True, **options)
    if request.config.getoption("emulator_quirks", default=False):
        return QuirkConfig(enabled=True)
    return None


@pytest.fixture
def emulator_faults(request: pytest.FixtureRequest) -> FaultConfig | None:
    """Faults from `@pytest.mark.emulator_faults(...)` (None: the config's own)."""
    marker = request.node.get_closest_marker("emulator_faults")
    return FaultConfig(**marker.kwargs) if marker is not None else None


@pytest.fixture
def _profiled_config(
    emulator_config: EmulatorConfig,
    emulator_quirks: QuirkConfig | None,
    emulator_faults: FaultConfig | None,
) -> EmulatorConfig:
    """`emulator_config` with the marker/option profiles applied on top."""
    config = emulator_config
    if emulator_quirks is not None:
        config = attrs.evolve(config, quirks=emulator_quirks)
    if emulator_faults is not None:
        config = attrs.evolve(config, faults=emulator_faults)
    return config


@pytest.fixture
def phrase_emulator(_profiled_config: EmulatorConfig) -> EmulatorHandle:
    """An in-process Phrase Strings emulator."""
    return _in_process("phrase", _profiled_config)


@pytest.fixture
def phraseanet_emulator(_profiled_config: EmulatorConfig) -> EmulatorHandle:
    """An in-process Phraseanet emulator."""
    return _in_process("phraseanet", _profiled_config)


@pytest.fixture
def openasset_emulator(_profiled_config: EmulatorConfig) -> EmulatorHandle:
    """An in-process OpenAsset emulator."""
    return _in_process("openasset", _profiled_config)


@pytest.fixture
def phrase_server(_profiled_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    """A Phrase Strings emulator served on a free loopback port for the test's duration."""
    yield from _served("phrase", _profiled_config)


@pytest.fixture
def phraseanet_server(_profiled_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    """A Phraseanet emulator served on a free loopback port for the test's duration."""
    yield from _served("phraseanet", _profiled_config)


@pytest.fixture
def openasset_server(_profiled_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    """An OpenAsset emulator served on a free loopback port for the test's duration."""
    yield from _served("openasset", _profiled_config)
