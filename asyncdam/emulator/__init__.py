"""Faithful local fakes of Phrase Strings, Phraseanet and OpenAsset, with fault injection.

This package imports no client code: it is an independent judge of the client.
"""

from asyncdam.emulator.config import EmulatorConfig, FaultConfig

__all__ = ["EmulatorConfig", "FaultConfig"]
