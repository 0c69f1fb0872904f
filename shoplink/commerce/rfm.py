"""RFM scoring and segments for one store's customers (EVENTS.md "RFM", DECISIONS D25).

Pure: rows in, segment keys out. Who counts (customers with at least one order that is
neither cancelled nor test, D24) is decided by the caller's query; rows with no orders
are ignored here as a second guard, since "customers without orders have no segment".
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from decimal import Decimal

CHAMPION = "champion"
LOYAL = "loyal"
POTENTIAL_LOYALIST = "potential_loyalist"
NEW_CUSTOMER = "new_customer"
PROMISING = "promising"
NEED_ATTENTION = "need_attention"
ABOUT_TO_SLEEP = "about_to_sleep"
CANT_LOSE = "cant_lose"
AT_RISK = "at_risk"
HIBERNATING = "hibernating"
LOST = "lost"

SEGMENT_NAMES = {
    CHAMPION: "Champion",
    LOYAL: "Loyal",
    POTENTIAL_LOYALIST: "Potential loyalist",
    NEW_CUSTOMER: "New customer",
    PROMISING: "Promising",
    NEED_ATTENTION: "Need attention",
    ABOUT_TO_SLEEP: "About to sleep",
    CANT_LOSE: "Can't lose",
    AT_RISK: "At risk",
    HIBERNATING: "Hibernating",
    LOST: "Lost",
}
SEGMENTS = tuple(SEGMENT_NAMES)

# EVENTS.md table, keyed by R score; each row lists the segment for FM = 1..5.
SEGMENT_TABLE: dict[int, tuple[str, str, str, str, str]] = {
    5: (NEW_CUSTOMER, POTENTIAL_LOYALIST, POTENTIAL_LOYALIST, CHAMPION, CHAMPION),
    4: (PROMISING, POTENTIAL_LOYALIST, LOYAL, CHAMPION, CHAMPION),
    3: (PROMISING, NEED_ATTENTION, NEED_ATTENTION, LOYAL, LOYAL),
    2: (HIBERNATING, ABOUT_TO_SLEEP, AT_RISK, AT_RISK, CANT_LOSE),
    1: (LOST, HIBERNATING, AT_RISK, CANT_LOSE, CANT_LOSE),
}

Row = tuple[Hashable, int, int, Decimal | int | float | str]


def quintile_scores(values: Sequence, goodness: Callable = lambda v: v) -> list[int]:
    """Score each value 1–5: ``1 + floor(5·i/n)`` at its first position in the sort.

    ``i`` is the 0-based index of the value's *first* occurrence when all values are
    sorted ascending by ``goodness``, so equal values share a score and 5 is best.
    """
    n = len(values)
    ordered = sorted(values, key=goodness)
    first_index: dict = {}
    for index, value in enumerate(ordered):
        first_index.setdefault(goodness(value), index)
    return [1 + (5 * first_index[goodness(v)]) // n for v in values]


def segment_for(r: int, fm: int) -> str:
    """Return the segment key for an R score and an FM score (both 1–5)."""
    return SEGMENT_TABLE[r][fm - 1]


def score_rfm(rows: Iterable[Row]) -> dict[Hashable, tuple[int, int, int]]:
    """Return key → (R, F, M) scores for the rows that have at least one order."""
    kept = [(key, days, count, Decimal(str(spent))) for key, days, count, spent in rows if count]
    if not kept:
        return {}
    # Fewer days since the last order is better, so goodness is the negated days.
    r_scores = quintile_scores([days for _, days, _, _ in kept], goodness=lambda d: -d)
    f_scores = quintile_scores([count for _, _, count, _ in kept])
    m_scores = quintile_scores([spent for _, _, _, spent in kept])
    return {
        row[0]: (r, f, m) for row, r, f, m in zip(kept, r_scores, f_scores, m_scores, strict=True)
    }


def compute_rfm(rows: Iterable[Row]) -> dict[Hashable, str]:
    """Return key → segment key for ``(key, days_since_last, order_count, total_spent)`` rows.

    FM = (F + M + 1) // 2 (the mean of F and M, rounded half up); customers whose
    ``order_count`` is 0 get no entry.
    """
    return {key: segment_for(r, (f + m + 1) // 2) for key, (r, f, m) in score_rfm(rows).items()}
