"""Who placed each generated order, and which generated orders each customer placed.

A customer's `numberOfOrders` and `amountSpent` must add up to the orders that name the
customer, so the assignment has to work both ways without a pass over every order:

* positions: `q = (a·i + b) mod n` is a bijection of the `n` order indexes (`a` coprime
  with `n`), so orders of one customer are spread over the whole history;
* the first 8 % of positions are guest checkouts (no customer); the rest are cut into one
  run per customer, of a length drawn per customer (some customers have none), from
  cumulative weights kept in one `array` (8 bytes a customer, built on first use).

So `customer_of(i)` is a multiplication and a bisection, and `orders_of(c)` the inverse
map over the customer's run.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from math import gcd

from shopsim.records import mix

GUEST_PERCENT = 8


class Owners:
    """The order ↔ customer assignment of one shop's generated records."""

    def __init__(self, key: int, orders: int, customers: int):
        self.key, self.n, self.m = key, max(orders, 0), max(customers, 0)
        self.guests = self.n if self.m == 0 else self.n * GUEST_PERCENT // 100
        n = max(self.n, 1)
        a = (mix(key) | 1) % n or 1
        while gcd(a, n) != 1:
            a += 1
        self.a, self.b = a, mix(key + 1) % n
        self.a_inv = pow(a, -1, n) if n > 1 else 0
        self._starts: array | None = None

    def starts(self) -> array:
        """`starts[c]` = first position (after the guests) of customer `c`'s run; m + 1 long."""
        got = self._starts
        if got is None:
            weights = []
            for c in range(self.m):
                h = mix(self.key * 1_000_003 + c)
                # ~15 % of customers never ordered; the others weigh 1..7 (varied counts).
                weights.append(0 if h % 100 < 15 else 1 + (h >> 8) % 7)
            total = sum(weights) or 1
            placed = self.n - self.guests
            got, run = array("q", [0]), 0
            for w in weights:
                run += w
                got.append(placed * run // total)
            self._starts = got
        return got

    def customer_of(self, i: int) -> int | None:
        """The customer index of order `i` (any index: run-time orders get one too), or None."""
        if self.m == 0 or self.n == 0:
            return None
        q = (self.a * i + self.b) % self.n - self.guests
        if q < 0:
            return None
        return bisect_right(self.starts(), q, 0, self.m) - 1

    def orders_of(self, c: int) -> list[int]:
        """Indexes of the generated orders placed by customer `c`, ascending."""
        if c < 0 or c >= self.m or self.n == 0:
            return []
        s = self.starts()
        n, a_inv, b, g = self.n, self.a_inv, self.b, self.guests
        return sorted((a_inv * (g + q - b)) % n for q in range(s[c], s[c + 1]))
