"""Join a bulk-operation JSONL result back into (parent, children) groups.

Owns reading the file Shopify's ``url`` points at (PLATFORM.md §4): one JSON object
per line, every connection node on its own line, children marked with ``__parentId``.
With ``groupObjects: false`` (the 2026-01 default) children may come before their
parent or far after it, so line order is never trusted (§9 trap 17, D16).

Memory strategy — two passes over a spooled temp file:

1. Stream the input once, writing each line to an anonymous temp file and keeping only
   its byte offset: root offsets in file order, child offsets in one ``array('q')``
   chained per parent (a second array holds each child's previous sibling), and one
   ``int -> int`` dict entry per parent (its numeric id and type, its last child).
   Memory grows with the *number* of lines (16 bytes per child, ~100 per parent),
   never with their size, and the download is read exactly once. Lines are not parsed
   here: ``__parentId`` is found in the raw bytes (JSON escapes quotes inside strings,
   so the key cannot be faked by a value).
2. For each root, in file order, read it and its children, parse them, and yield one
   complete group. Only one group is ever held in memory. Reads are positional
   (``os.pread`` of 16 KiB blocks, a line sliced out of the block at hand), never
   ``seek``: two processes forked after the index pass share the spool's file offset,
   and a seek in one would move the other's reads. (An ``mmap`` of the spool measured
   no faster, and its touched pages count in the process's RSS: 450 MB for the
   default bench's orders file.)

Sharing the work: :attr:`JsonlJoiner.after_index`, when set, runs once between the two
passes and may return which groups this iterator yields (by position after ``skip``).
The import's reader forks a second process there, so both share the index the first
pass built, and each maps every other batch (``sync/reader.py``, ADR 0090). A group
not taken costs only its root line's parse (its key must leave the index all the same).

Children whose parent never appears (a ``partialDataUrl`` file cut short, §4) are
counted in :attr:`JsonlJoiner.orphan_count` and not yielded. Only one level of
children is joined (our bulk queries nest at most one child connection); a line whose
parent is itself a child is grouped under that child's id and reported as an orphan.
"""

from __future__ import annotations

import os
import re
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator

import orjson

from shoplink.integrations.shopify.api.mapping import gid_type

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
        self._offsets = array("q")
        self._previous = array("q")
        self._types: dict[str, int] = {}
        # Called once after the index pass; returns None (every group) or a predicate
        # over a group's position after ``skip`` (True: this iterator yields it).
        self.after_index: Callable[[], Callable[[int], bool] | None] | None = None

    @classmethod
    def from_chunks(cls, chunks: Iterable[bytes], *, skip: int = 0) -> JsonlJoiner:
        """Build a joiner over raw byte chunks whose boundaries may fall mid-line."""
        joiner = cls(chunks, skip=skip)
        joiner._chunked = True
        return joiner

    def __iter__(self) -> Iterator[tuple[dict, dict[str, list[dict]]]]:
        with tempfile.TemporaryFile() as spool:
            roots, children = self._index(spool)
            take = self.after_index() if self.after_index else None
            yield from self._groups(spool, roots, children, take)

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

    def _index(self, spool) -> tuple[array, dict]:
        roots = array("q")
        heads: dict = {}  # parent key -> index of its last child in self._offsets
        offsets, previous = self._offsets, self._previous
        offset = 0
        for raw in self._lines():
            line = raw.strip()
            if not line:
                continue
            spool.write(line + b"\n")
            self.line_count += 1
            parent_id = _parent_id(line)
            if parent_id is None:
                roots.append(offset)
            else:
                key = self._key(parent_id)
                previous.append(heads.get(key, -1))
                heads[key] = len(offsets)
                offsets.append(offset)
            offset += len(line) + 1  # tell() per line was a measurable cost
        self.root_count = len(roots)
        return roots, heads

    def _key(self, gid: str) -> int | str:
        """A compact dict key for a GID: numeric id and type code in one int.

        The type is part of the key so a grandchild (``LineItem/5`` as parent) never
        joins a root with the same number (``Order/5``). Non-numeric ids keep the string.
        """
        kind, _, number = gid.rpartition("/")
        if not number.isdigit():
            return gid
        code = self._types.setdefault(kind, len(self._types))
        return int(number) * _TYPE_SLOTS + code if code < _TYPE_SLOTS else gid

    def _groups(self, spool, roots: array, heads: dict, take):
        offsets, previous = self._offsets, self._previous
        spool.flush()
        read, skip = _Lines(spool.fileno()).read, self._skip
        for index, offset in enumerate(roots):
            parent = read(offset)
            last = heads.pop(self._key(parent.get("id") or ""), -1)
            if index < skip:
                continue  # already upserted before the checkpoint
            if take is not None and not take(index - skip):
                continue  # another iterator over the same index yields this one
            chain = []
            while last >= 0:
                chain.append(offsets[last])
                last = previous[last]
            grouped: dict[str, list[dict]] = {}
            for child_offset in reversed(chain):  # the chain runs last child first
                child = read(child_offset)
                grouped.setdefault(_child_type(child.get("id", "")), []).append(child)
            yield parent, grouped
        skipped = 0
        for last in heads.values():
            while last >= 0:
                skipped += 1
                last = previous[last]
        self.orphan_count = skipped


class _Lines:
    """Parse the line at a byte offset of the spool, by positional reads of whole blocks.

    Roots come in file order and children mostly near them, so most lines are sliced
    out of the block read for the line before. ``os.pread`` leaves the file offset
    alone: safe when another process reads the same spool (a second reader).
    """

    BLOCK = 1 << 14

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.start = 0
        self.block = b""

    def read(self, offset: int) -> dict:
        at = offset - self.start
        if 0 <= at < len(self.block):
            end = self.block.find(b"\n", at)
            if end >= 0:
                return orjson.loads(self.block[at:end])
        self.start, self.block = offset, os.pread(self.fd, self.BLOCK, offset)
        end = self.block.find(b"\n")
        while end < 0:  # a line longer than a block
            more = os.pread(self.fd, self.BLOCK, offset + len(self.block))
            if not more:
                raise ValueError(f"no line end after offset {offset} of the spool")
            self.block += more
            end = self.block.find(b"\n")
        return orjson.loads(self.block[:end])


_GID_PREFIX = "gid://shopify/"


def _child_type(gid: str) -> str:
    """The type of a child's GID (``LineItem``), or ""; a slice, not a regex, per line.

    Three quarters of an orders file's lines are children, so this runs ~3 times per
    order; ``gid_type``'s regex was a tenth of the joiner's time. Anything that is not
    ``gid://shopify/<Type>/<id>`` goes through ``gid_type`` itself, so both agree.
    """
    if gid.startswith(_GID_PREFIX):
        end = gid.find("/", 14)
        kind = gid[14:end]
        if end > 14 and kind.isalpha() and kind.isascii() and gid[end + 1 : end + 2] not in "/?#":
            return kind
    return gid_type(gid) or ""


# Type codes per key (parent types in one file: the root and at most a few children).
_TYPE_SLOTS = 64
_PARENT = re.compile(rb'"__parentId"\s*:\s*"([^"\\]*)"')


def _parent_id(line: bytes) -> str | None:
    """The ``__parentId`` of a raw line, without parsing the rest of it."""
    if b'"__parentId"' not in line:
        return None
    match = _PARENT.search(line)
    if match:
        return match.group(1).decode()
    return orjson.loads(line).get(PARENT_KEY)  # an escaped id: let the parser decide
