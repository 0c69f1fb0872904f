"""Join a bulk-operation JSONL result back into (parent, children) groups.

Owns reading the file Shopify's ``url`` points at (PLATFORM.md §4): one JSON object
per line, every connection node on its own line, children marked with ``__parentId``.
With ``groupObjects: false`` (the 2026-01 default) children may come before their
parent or far after it, so line order is never trusted (§9 trap 17, D16).

Memory strategy — two passes over a spooled temp file:

1. Stream the input once, writing each line to an anonymous temp file and keeping only
   its byte offset: root offsets in file order, child offsets per parent id (compact
   ``array('q')``). Memory grows with the *number* of lines (8 bytes each plus one key
   per parent), never with their size, and the download is read exactly once.
2. For each root, in file order, seek to it and to its children, parse them, and yield
   one complete group. Only one group is ever held in memory.

Children whose parent never appears (a ``partialDataUrl`` file cut short, §4) are
counted in :attr:`JsonlJoiner.orphan_count` and not yielded. Only one level of
children is joined (our bulk queries nest at most one child connection); a line whose
parent is itself a child is grouped under that child's id and reported as an orphan.
"""

from __future__ import annotations

import tempfile
from array import array
from collections.abc import Iterable, Iterator

import orjson

from shoplink.integrations.shopify.mapping import gid_type

PARENT_KEY = "__parentId"


class JsonlJoiner:
    """Iterate ``(parent_node, children_by_type)`` groups from bulk JSONL bytes.

    ``lines`` yields whole lines (bytes or str, newline optional; an item may hold
    several lines); for raw byte chunks that can split a line (``httpx``'s
    ``iter_bytes()``) use :meth:`from_chunks`. ``children_by_type`` maps the child GID's
    type (``"LineItem"``, ``"ProductVariant"``, ``"Product"``…) to the child nodes in
    file order. ``skip`` drops that many leading groups, so an import can resume from
    its last checkpoint (D16) without re-upserting. Iterate once.
    """

    def __init__(self, lines: Iterable[bytes | str], *, skip: int = 0) -> None:
        self._items = lines
        self._chunked = False
        self._skip = skip
        self.line_count = 0
        self.root_count = 0
        self.orphan_count = 0

    @classmethod
    def from_chunks(cls, chunks: Iterable[bytes], *, skip: int = 0) -> JsonlJoiner:
        """Build a joiner over raw byte chunks whose boundaries may fall mid-line."""
        joiner = cls(chunks, skip=skip)
        joiner._chunked = True
        return joiner

    def __iter__(self) -> Iterator[tuple[dict, dict[str, list[dict]]]]:
        with tempfile.TemporaryFile() as spool:
            roots, children = self._index(spool)
            yield from self._groups(spool, roots, children)

    def _lines(self) -> Iterator[bytes]:
        if not self._chunked:
            # Each item is one or more whole lines (a file, ``iter_lines()``, a blob).
            for item in self._items:
                data = item.encode() if isinstance(item, str) else item
                yield from data.split(b"\n")
            return
        pending = b""
        for chunk in self._items:
            pending += chunk
            *complete, pending = pending.split(b"\n")
            yield from complete
        yield pending

    def _index(self, spool) -> tuple[array, dict[str, array]]:
        roots = array("q")
        children: dict[str, array] = {}
        for raw in self._lines():
            line = raw.strip()
            if not line:
                continue
            offset = spool.tell()
            spool.write(line + b"\n")
            self.line_count += 1
            parent_id = orjson.loads(line).get(PARENT_KEY)
            if parent_id is None:
                roots.append(offset)
            else:
                children.setdefault(parent_id, array("q")).append(offset)
        self.root_count = len(roots)
        return roots, children

    @staticmethod
    def _read(spool, offset: int) -> dict:
        spool.seek(offset)
        return orjson.loads(spool.readline())

    def _groups(self, spool, roots: array, children: dict[str, array]):
        for index, offset in enumerate(roots):
            parent = self._read(spool, offset)
            child_offsets = children.pop(parent.get("id"), ())
            if index < self._skip:
                continue  # already upserted before the checkpoint
            grouped: dict[str, list[dict]] = {}
            for child_offset in child_offsets:
                child = self._read(spool, child_offset)
                grouped.setdefault(gid_type(child.get("id", "")) or "", []).append(child)
            yield parent, grouped
        self.orphan_count = sum(len(offsets) for offsets in children.values())
