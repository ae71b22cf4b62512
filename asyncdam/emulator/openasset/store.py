"""In-memory tables, link lists and file contents behind the fake OpenAsset."""

from __future__ import annotations

import hashlib
from typing import Any

Record = dict[str, Any]

# Nested lists kept as link tables: (parent noun, child path name) -> parent id -> entries.
LINKED = (
    ("Albums", "Files"),
    ("Albums", "Groups"),
    ("Albums", "Users"),
    ("Files", "Fields"),
    ("Files", "Keywords"),
    ("Files", "Sizes"),
    ("Projects", "ProjectKeywords"),
    ("Projects", "Fields"),
    ("Searches", "Groups"),
    ("Searches", "Users"),
    ("Groups", "Users"),
    ("Files", "Employees"),
    ("Projects", "Employees"),
)


class Store:
    """Rows per noun (kept in id order), nested link lists and uploaded file bytes."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[int, Record]] = {}
        self.next_ids: dict[str, int] = {}
        self.links: dict[tuple[str, str], dict[int, list[Record]]] = {k: {} for k in LINKED}
        self.contents: dict[int, bytes] = {}

    def table(self, noun: str) -> dict[int, Record]:
        """All rows of a noun, keyed by id, in ascending id order."""
        return self.tables.setdefault(noun, {})

    def get(self, noun: str, ident: int) -> Record | None:
        """One row or None."""
        return self.table(noun).get(ident)

    def insert(self, noun: str, record: Record) -> Record:
        """Store a new row under the next id and return it."""
        ident = self.next_ids.get(noun, 1)
        self.next_ids[noun] = ident + 1
        record["id"] = ident
        self.table(noun)[ident] = record
        return record

    def delete(self, noun: str, ident: int) -> bool:
        """Remove a row and every link that points from it; False when it did not exist."""
        row = self.table(noun).pop(ident, None)
        if row is None:
            return False
        for (parent, child), lists in self.links.items():
            if parent == noun:
                lists.pop(ident, None)
            elif child == noun:
                for entries in lists.values():
                    entries[:] = [e for e in entries if e.get("id") != ident]
        if noun == "Files":
            self.contents.pop(ident, None)
        return True

    def link(self, parent: str, child: str, pid: int) -> list[Record]:
        """The mutable nested list of one parent row."""
        return self.links[(parent, child)].setdefault(pid, [])


def seeded_bytes(file_id: int, size_id: int, length: int) -> bytes:
    """Deterministic stand-in content for a file size nobody uploaded."""
    block = hashlib.sha256(f"{file_id}:{size_id}".encode()).digest()
    reps = length // len(block) + 1
    return (block * reps)[:length]


def md5_hex(data: bytes) -> str:
    """Hex MD5 as OpenAsset reports it in md5_at_upload / md5_now."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
