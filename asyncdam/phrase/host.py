"""What the Phrase workflows (pull, push, async downloads) need of a client, as a Protocol.

The workflows depend on this and on the resource groups, never on `Phrase` itself, so
`asyncdam.phrase.client` can expose them without an import circle. `Phrase` satisfies it.
"""

from __future__ import annotations

from typing import Protocol

from asyncdam.engine.dialect import BaseDialect
from asyncdam.engine.session import Engine, ServiceClient
from asyncdam.phrase.resources.locale_downloads import LocaleDownloadsResource
from asyncdam.phrase.resources.uploads import UploadsResource

__all__ = ["PhraseHost"]


class PhraseHost(Protocol):
    """A bound Phrase client: its engine, dialect, engine client and the groups workflows use."""

    @property
    def engine(self) -> Engine:
        """The engine the client sends through (its clock drives polling)."""

    @property
    def dialect(self) -> BaseDialect:
        """Base URL, auth and limits of the client."""

    @property
    def _client(self) -> ServiceClient:
        """The engine-bound client, for requests the generated groups do not cover."""

    @property
    def uploads(self) -> UploadsResource:
        """The uploads group (push)."""

    @property
    def locale_downloads(self) -> LocaleDownloadsResource:
        """The async locale downloads group."""
