"""asyncdam: one asynchronous engine for the Phrase Strings, Phraseanet and OpenAsset APIs."""

from asyncdam._version import __version__

__all__ = ["__version__"]
