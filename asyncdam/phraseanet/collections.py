"""`pn.collections` lives with the databox structures; re-exported here by name."""

from asyncdam.phraseanet.databoxes import Collections

__all__ = ["Collections"]
