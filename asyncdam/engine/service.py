"""The base of the three public clients: engine ownership and `async with` lifecycle."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from asyncdam.engine.arguments import check_engine_options
from asyncdam.engine.dialect import BaseDialect
from asyncdam.engine.errors import InvalidArgumentError
from asyncdam.engine.session import Engine, ServiceClient


class ServiceBase:
    """Binds a dialect to an engine; creates (and then owns and closes) one when none is given.

    Keyword arguments the client does not take itself go to the `Engine` it creates; a name
    neither knows, an `engine=` that is not an `Engine`, or engine options beside a shared engine
    raise `InvalidArgumentError` naming the argument.
    """

    def __init__(self, dialect: BaseDialect, engine: Engine | None = None, **engine_options: Any):
        client = type(self).__name__
        if engine is not None and not isinstance(engine, Engine):
            raise InvalidArgumentError(
                "engine", f"must be an asyncdam.Engine, got {type(engine).__name__}"
            )
        check_engine_options(client, engine_options)
        if engine is not None and engine_options:
            raise InvalidArgumentError(
                next(iter(engine_options)),
                "pass engine options to the Engine you share, not to the service client",
            )
        self._owns_engine = engine is None
        self.engine = engine if engine is not None else Engine(**engine_options)
        self._client: ServiceClient = self.engine.bind(dialect)

    @property
    def dialect(self) -> BaseDialect:
        """The service dialect in use (base URL, auth, limits)."""
        return self._client.dialect

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the engine if this client created it; a shared engine stays open."""
        if self._owns_engine:
            await self.engine.aclose()
