"""Deterministic store data: every record is a pure function of (seed, shop, kind, index).

Nothing is generated up front. `make(kind, index)` builds one GraphQL-shaped dict
(camelCase fields, gids) from its own `random.Random`, and `stamps(kind, index)` gives its
createdAt/updatedAt without building it, so filters on `updated_at` over a million orders
stay cheap.

Ids: a top-level record's number is `base(kind) + index + 1`, so id order equals index
order. Objects inside a record (variants, images, line items, addresses, transactions...)
get `base(kind) + slot × 10**15 + index × per + j + 1` from `sub_num`: each slot is one
kind of inner object, `per` bounds how many a record has, so every number in a store is
unique across all types (the per-shop offset stays below 10**15).

The record builders live in one mixin per family (`people`, `orders`, `catalog`, `carts`);
`owners` assigns orders to customers so that either side can be found from the other.
"""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime

from shopsim.generator.carts import CartsMixin
from shopsim.generator.catalog import CatalogMixin
from shopsim.generator.orders import OrdersMixin
from shopsim.generator.owners import Owners
from shopsim.generator.people import PeopleMixin
from shopsim.records import _BASE_DIGIT, END, SPAN, Ref, _mix, iso_ts

_END_S = int(END.timestamp())
_SPAN_S = int(SPAN.total_seconds())


class Generator(PeopleMixin, OrdersMixin, CatalogMixin, CartsMixin):
    """Builds records for one shop; `counts` says how many generated records each kind has."""

    def __init__(
        self, seed: int, domain: str, counts: dict[str, int], currency: str = "USD", loader=None
    ):
        self.seed, self.domain, self.counts, self.currency = seed, domain, counts, currency
        self.shop_key = zlib.crc32(f"{seed}:{domain}".encode())
        shop_offset = (zlib.crc32(domain.encode()) % 900) * 10**12
        self.base = {k: d * 10**17 + shop_offset for k, d in _BASE_DIGIT.items()}
        self.loader = loader or (lambda kind, index: None)
        self.handle = domain.split(".")[0]
        self._line_templates: dict = {}
        # Which customer placed which order, both ways (customers' totals add up, owners).
        self.owners = Owners(self.shop_key, counts.get("orders", 0), counts.get("customers", 0))

    # ids and stamps -------------------------------------------------------------
    def num(self, kind: str, index: int) -> int:
        return self.base[kind] + index + 1

    def sub_num(self, kind: str, slot: int, index: int, j: int = 0, per: int = 1) -> int:
        """Number of the `j`-th inner object of record `index` in `slot` (see module doc)."""
        return self.base[kind] + slot * 10**15 + index * per + j + 1

    def index_of(self, kind: str, num: int) -> int:
        return num - self.base[kind] - 1

    def stamp_ts(self, kind: str, index: int) -> tuple[int, int]:
        """(createdAt, updatedAt) as whole epoch seconds; createdAt increases with index.

        Pure arithmetic, so `updated_at:` filters over a million records stay cheap.
        """
        n = max(self.counts.get(kind, 1), 1)
        h = _mix(self.shop_key * 131 + _BASE_DIGIT[kind] * 1_000_003 + index)
        step = _SPAN_S / n
        created = int(_END_S - _SPAN_S + step * index + step * ((h & 0xFFFF) / 65536))
        updated = min(created + (h >> 16) % (20 * 86400), _END_S)
        return created, updated

    def first_index_created_after(self, kind: str, ts: float) -> int:
        """A lower bound on the indexes of generated records created at or after `ts`."""
        n = max(self.counts.get(kind, 1), 1)
        step = _SPAN_S / n
        return max(0, int((ts - (_END_S - _SPAN_S)) / step) - 1)

    def stamps(self, kind: str, index: int) -> tuple[datetime, datetime]:
        """(createdAt, updatedAt) of a generated record as datetimes."""
        c, u = self.stamp_ts(kind, index)
        return datetime.fromtimestamp(c, UTC), datetime.fromtimestamp(u, UTC)

    def iso_stamps(self, kind: str, index: int) -> tuple[str, str]:
        """(createdAt, updatedAt) of a generated record as ISO strings."""
        c, u = self.stamp_ts(kind, index)
        return iso_ts(c), iso_ts(u)

    def rng(self, kind: str, index: int) -> random.Random:
        return random.Random(self.shop_key * 7919 + _BASE_DIGIT[kind] * 10**12 + index)

    def cart_token(self, index: int) -> str:
        k = self.shop_key * 8191 + index
        return f"{_mix(k):016x}{_mix(k + 1):016x}"

    def ref(self, kind: str, index: int) -> Ref:
        return Ref(kind, index, self.num(kind, index), self.loader)

    def make(self, kind: str, index: int) -> dict:
        return getattr(self, "_" + kind)(index)
