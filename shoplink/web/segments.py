"""The RFM heat map: contacts per segment, per store and for the whole project (D25).

Reads only. Segments are stored on each contact as the ``shopify_rfm_segment`` attribute
(EVENTS.md "Computed properties"); one grouped query counts them by ``source`` and
segment, so the page costs the same whatever the number of stores. ``grid`` lays the
counts out on EVENTS.md's R × FM table, the picture marketers know: each of the 25 cells
belongs to one of the 11 segments, and a segment spanning several cells shows its label
and count once (its first cell in reading order) and its colour in all of them.
"""

from __future__ import annotations

import dataclasses

from django.db.models import Count
from django.db.models.fields.json import KeyTextTransform

from shoplink.audience.models import Contact
from shoplink.commerce.rfm import SEGMENT_NAMES, SEGMENT_TABLE, SEGMENTS

SEGMENT_ATTRIBUTE = "shopify_rfm_segment"
# One sentence per segment, for the list under the map (what a marketer would do).
SEGMENT_HINTS = {
    "champion": "Bought recently, often and for the most.",
    "loyal": "Buy regularly and spend well.",
    "potential_loyalist": "Recent customers with more than one order or a good basket.",
    "new_customer": "Their first order was recent.",
    "promising": "Recent buyers who have not spent much yet.",
    "need_attention": "Average on every score; a nudge keeps them.",
    "about_to_sleep": "Bought a while ago, little and rarely.",
    "cant_lose": "Used to buy often and for a lot, not lately.",
    "at_risk": "Good customers whose last order is getting old.",
    "hibernating": "Long ago, rarely, little.",
    "lost": "The oldest last orders and the lowest scores.",
}


# The display names with soft hyphens (U+00AD) where a word may break: a cell is about 60 px
# wide on a 390 px phone, narrower than "Hibernating" at any readable size, and browsers
# on Linux do not hyphenate by themselves.
CELL_LABELS = {
    "champion": "Cham\u00adpion",
    "loyal": "Loyal",
    "potential_loyalist": "Poten\u00adtial loy\u00adalist",
    "new_customer": "New cus\u00adtomer",
    "promising": "Prom\u00adis\u00ading",
    "need_attention": "Need at\u00adten\u00adtion",
    "about_to_sleep": "About to sleep",
    "cant_lose": "Can't lose",
    "at_risk": "At risk",
    "hibernating": "Hiber\u00adnat\u00ading",
    "lost": "Lost",
}


@dataclasses.dataclass
class Cell:
    segment: str
    label: str
    cell_label: str
    count: int
    heat: float  # 0..1, the segment's count against the largest segment's
    anchor: bool  # the cell that shows the label and count
    r: int
    fm: int


@dataclasses.dataclass
class SegmentCounts:
    """Counts for one scope (a store's ``source`` or ``""`` for the whole project)."""

    by_segment: dict[str, int]
    without_orders: int

    @property
    def scored(self) -> int:
        return sum(self.by_segment.values())


def count_segments(project) -> dict[str, SegmentCounts]:
    """Source → counts, plus ``""`` → the project's totals. One query."""
    rows = (
        Contact.objects.filter(project=project)
        .annotate(segment=KeyTextTransform(SEGMENT_ATTRIBUTE, "attributes"))
        .values("source", "segment")
        .annotate(n=Count("id"))
        .order_by()
    )
    scopes: dict[str, SegmentCounts] = {"": SegmentCounts(dict.fromkeys(SEGMENTS, 0), 0)}
    for row in rows:
        source, segment, n = row["source"], row["segment"], row["n"]
        if not source and segment not in SEGMENT_NAMES:
            continue  # contacts of the project's own (API, UI): no store, no segment
        targets = [scopes[""]]
        if source:
            targets.append(scopes.setdefault(source, SegmentCounts(dict.fromkeys(SEGMENTS, 0), 0)))
        for counts in targets:
            if segment in SEGMENT_NAMES:
                counts.by_segment[segment] += n
            else:
                counts.without_orders += n
    return scopes


def grid(counts: SegmentCounts) -> list[list[Cell]]:
    """Rows R = 5..1, each of FM = 1..5 cells (EVENTS.md's table)."""
    top = max(counts.by_segment.values(), default=0) or 1
    seen: set[str] = set()
    rows = []
    for r in (5, 4, 3, 2, 1):
        row = []
        for fm, segment in enumerate(SEGMENT_TABLE[r], start=1):
            n = counts.by_segment.get(segment, 0)
            row.append(
                Cell(
                    segment,
                    SEGMENT_NAMES[segment],
                    CELL_LABELS[segment],
                    n,
                    n / top,
                    segment not in seen,
                    r,
                    fm,
                )
            )
            seen.add(segment)
        rows.append(row)
    return rows


def segment_list(counts: SegmentCounts) -> list[dict]:
    """The 11 segments, largest first, with label, count, share and hint."""
    total = counts.scored or 1
    items = [
        {
            "segment": key,
            "label": SEGMENT_NAMES[key],
            "count": counts.by_segment.get(key, 0),
            "share": round(100 * counts.by_segment.get(key, 0) / total),
            "hint": SEGMENT_HINTS[key],
        }
        for key in SEGMENTS
    ]
    return sorted(items, key=lambda item: -item["count"])


def store_label(source: str) -> str:
    """``shopify:demo.myshopify.com`` → ``demo.myshopify.com`` (the platform prefix goes)."""
    return source.split(":", 1)[1] if ":" in source else source
