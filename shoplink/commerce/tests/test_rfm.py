"""RFM scoring exactly as EVENTS.md defines it: rank scores with ties, FM, 11 segments."""

from decimal import Decimal

import pytest

from shoplink.commerce.rfm import (
    SEGMENT_NAMES,
    SEGMENT_TABLE,
    SEGMENTS,
    compute_rfm,
    quintile_scores,
    score_rfm,
    segment_for,
)

# A small store, hand-scored (n = 5, so score = 1 + index of first occurrence):
#   key  days  orders  spent   R  F  M  FM  segment
#   a       1      10   1000   5  5  5   5  champion
#   b       5       3    300   4  2  2   2  potential_loyalist
#   c      30       3    300   3  2  2   2  need_attention   (ties with b on F and M)
#   d     200       1     50   2  1  1   1  hibernating
#   e     400       8    900   1  4  4   4  cant_lose
#   z       -       0      0   -  -  -   -  (no orders: no segment)
STORE = [
    ("a", 1, 10, Decimal("1000.00")),
    ("b", 5, 3, Decimal("300.00")),
    ("c", 30, 3, Decimal("300.00")),
    ("d", 200, 1, Decimal("50.00")),
    ("e", 400, 8, Decimal("900.00")),
    ("z", 9999, 0, Decimal("0")),
]


def test_hand_computed_store_scores():
    assert score_rfm(STORE) == {
        "a": (5, 5, 5),
        "b": (4, 2, 2),
        "c": (3, 2, 2),
        "d": (2, 1, 1),
        "e": (1, 4, 4),
    }


def test_hand_computed_store_segments():
    assert compute_rfm(STORE) == {
        "a": "champion",
        "b": "potential_loyalist",
        "c": "need_attention",
        "d": "hibernating",
        "e": "cant_lose",
    }


def test_ten_values_with_ties_use_first_position():
    # sorted: 1 2 2 3 4 5 6 7 8 9 → first positions 0 1 1 3 4 5 6 7 8 9 → 1 + 5i//10
    assert quintile_scores([1, 2, 2, 3, 4, 5, 6, 7, 8, 9]) == [1, 1, 1, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores([9, 2, 1, 2]) == [4, 2, 1, 2]


def test_all_equal_values_share_the_lowest_score():
    assert quintile_scores([7, 7, 7, 7]) == [1, 1, 1, 1]
    rows = [(k, 10, 2, "50.00") for k in "pqr"]
    assert score_rfm(rows) == {k: (1, 1, 1) for k in "pqr"}
    assert set(compute_rfm(rows).values()) == {"lost"}


def test_recency_fewer_days_is_better_with_ties():
    rows = [("x", 3, 1, 1), ("y", 3, 1, 1), ("w", 90, 1, 1), ("v", 1, 1, 1)]
    # ascending goodness (days descending): 90, 3, 3, 1 → first positions 0, 1, 1, 3
    assert {k: r for k, (r, _, _) in score_rfm(rows).items()} == {"w": 1, "x": 2, "y": 2, "v": 4}


def test_single_customer_scores_one_everywhere():
    assert score_rfm([("only", 0, 1, "10.00")]) == {"only": (1, 1, 1)}
    assert compute_rfm([("only", 0, 1, "10.00")]) == {"only": "lost"}


def test_no_customers_with_orders_gives_empty_result():
    assert compute_rfm([]) == {}
    assert compute_rfm([("z", 5, 0, "0")]) == {}


def test_money_compares_as_decimal_not_text():
    rows = [("small", 1, 1, "9.99"), ("big", 1, 1, "100.00")]
    assert score_rfm(rows)["big"][2] > score_rfm(rows)["small"][2]


@pytest.mark.parametrize(
    ("f", "m", "fm"), [(1, 1, 1), (1, 2, 2), (2, 3, 3), (4, 5, 5), (1, 5, 3), (5, 4, 5)]
)
def test_fm_is_mean_rounded_half_up(f, m, fm):
    assert (f + m + 1) // 2 == fm


EXPECTED_TABLE = {
    5: ["new_customer", "potential_loyalist", "potential_loyalist", "champion", "champion"],
    4: ["promising", "potential_loyalist", "loyal", "champion", "champion"],
    3: ["promising", "need_attention", "need_attention", "loyal", "loyal"],
    2: ["hibernating", "about_to_sleep", "at_risk", "at_risk", "cant_lose"],
    1: ["lost", "hibernating", "at_risk", "cant_lose", "cant_lose"],
}


@pytest.mark.parametrize("r", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("fm", [1, 2, 3, 4, 5])
def test_every_table_cell(r, fm):
    assert segment_for(r, fm) == EXPECTED_TABLE[r][fm - 1]


def test_eleven_segments_with_display_names():
    assert {cell for row in SEGMENT_TABLE.values() for cell in row} == set(SEGMENTS)
    assert len(SEGMENTS) == 11
    assert SEGMENT_NAMES == {
        "champion": "Champion",
        "loyal": "Loyal",
        "potential_loyalist": "Potential loyalist",
        "new_customer": "New customer",
        "promising": "Promising",
        "need_attention": "Need attention",
        "about_to_sleep": "About to sleep",
        "cant_lose": "Can't lose",
        "at_risk": "At risk",
        "hibernating": "Hibernating",
        "lost": "Lost",
    }
