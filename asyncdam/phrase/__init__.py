"""The Phrase Strings API v2 adapter."""

from asyncdam.phrase.client import Phrase
from asyncdam.phrase.dialect import PhraseDialect
from asyncdam.phrase.downloads import DownloadExpired, DownloadFailed
from asyncdam.phrase.polling import Backoff
from asyncdam.phrase.pull import PullResult

__all__ = ["Backoff", "DownloadExpired", "DownloadFailed", "Phrase", "PhraseDialect", "PullResult"]
