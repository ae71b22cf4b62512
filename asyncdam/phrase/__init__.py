"""The Phrase Strings API v2 adapter.

    async with Phrase(token="...", user_agent_contact="you@example.com") as phrase:
        async for key in phrase.keys.list(project_id, q="tags:web"):
            ...
        await phrase.pull(project_id, "locales/", file_format="yml")

Resource groups and their methods are generated from the OpenAPI spec by
tools/generate_phrase.py (one module per tag under `asyncdam.phrase.resources`).
"""

from asyncdam.phrase.client import Phrase
from asyncdam.phrase.dialect import PhraseDialect
from asyncdam.phrase.downloads import DownloadExpired, DownloadFailed
from asyncdam.phrase.polling import Backoff
from asyncdam.phrase.pull import PullResult

__all__ = ["Backoff", "DownloadExpired", "DownloadFailed", "Phrase", "PhraseDialect", "PullResult"]
