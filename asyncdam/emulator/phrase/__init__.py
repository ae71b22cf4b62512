"""A faithful local fake of the Phrase Strings API v2 (Starlette app, in-memory, seeded)."""

from asyncdam.emulator.phrase.app import BASE_PATH, create_app

__all__ = ["BASE_PATH", "create_app"]
