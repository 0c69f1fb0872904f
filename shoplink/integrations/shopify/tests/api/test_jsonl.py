"""Bulk JSONL joining never depends on line order."""

import random
from pathlib import Path

import orjson
import pytest

from shoplink.integrations.shopify.api.jsonl import JsonlJoiner
from shoplink.integrations.shopify.api.mapping import order_from_graphql, product_from_graphql

SAMPLE = Path(__file__).parents[1] / "fixtures" / "bulk_query_result_sample.jsonl"


def _groups(lines, **kwargs):
    joiner = JsonlJoiner(lines, **kwargs)
    return joiner, {parent["id"]: (parent, children) for parent, children in joiner}


def _synthetic(n_orders=40, max_items=4, seed=1):
    rng = random.Random(seed)
    lines, expected = [], {}
    for o in range(1, n_orders + 1):
        gid = f"gid://shopify/Order/{o}"
        lines.append({"id": gid, "name": f"#{1000 + o}"})
        items = [
            {"id": f"gid://shopify/LineItem/{o * 100 + i}", "quantity": i, "__parentId": gid}
            for i in range(rng.randint(0, max_items))
        ]
        lines.extend(items)
        expected[gid] = [item["id"] for item in items]
    return [orjson.dumps(line) for line in lines], expected


def test_shopify_sample_groups_variants_under_products():
    joiner, groups = _groups(SAMPLE.read_bytes().splitlines())
    assert list(groups) == [
        "gid://shopify/Product/1921569226808",
        "gid://shopify/Product/1921569259576",
    ]
    _, children = groups["gid://shopify/Product/1921569226808"]
    assert [v["title"] for v in children["ProductVariant"]] == ["52", "70"]
    assert groups["gid://shopify/Product/1921569259576"][1] == {}
    assert (joiner.line_count, joiner.root_count, joiner.orphan_count) == (4, 2, 0)


def test_sample_maps_to_products_with_variants():
    records = [
        product_from_graphql(parent, children.get("ProductVariant", []))
        for parent, children in JsonlJoiner([SAMPLE.read_bytes()])
    ]
    assert [r.external_id for r in records] == ["1921569226808", "1921569259576"]
    assert [v["id"] for v in records[0].variants] == ["19435458986123", "19435458986040"]


def test_children_before_parent_are_joined():
    lines = SAMPLE.read_bytes().splitlines()
    reordered = [lines[1], lines[2], lines[3], lines[0]]
    _, groups = _groups(reordered)
    _, children = groups["gid://shopify/Product/1921569226808"]
    assert [v["title"] for v in children["ProductVariant"]] == ["52", "70"]


@pytest.mark.parametrize("seed", range(5))
def test_shuffled_file_yields_the_same_groups(seed):
    lines, expected = _synthetic(seed=seed)
    shuffled = lines[:]
    random.Random(seed + 100).shuffle(shuffled)
    _, groups = _groups(shuffled)
    assert set(groups) == set(expected)
    for gid, item_ids in expected.items():
        got = [c["id"] for c in groups[gid][1].get("LineItem", [])]
        assert sorted(got) == sorted(item_ids)


def test_arbitrary_byte_chunks_and_blank_lines():
    lines, expected = _synthetic(n_orders=10)
    blob = b"\n".join(lines) + b"\n\n"
    chunks = [blob[i : i + 7] for i in range(0, len(blob), 7)]
    groups = {parent["id"]: children for parent, children in JsonlJoiner.from_chunks(chunks)}
    assert set(groups) == set(expected)
    _, from_str = _groups([blob.decode()])
    assert set(from_str) == set(expected)


def test_roots_come_out_in_file_order():
    lines, expected = _synthetic(n_orders=15)
    joiner = JsonlJoiner(lines)
    assert [parent["id"] for parent, _ in joiner] == list(expected)


def test_orphans_are_counted_not_yielded():
    lines = [
        b'{"id":"gid://shopify/LineItem/9","__parentId":"gid://shopify/Order/404"}',
        b'{"id":"gid://shopify/Order/1"}',
    ]
    joiner, groups = _groups(lines)
    assert list(groups) == ["gid://shopify/Order/1"]
    assert joiner.orphan_count == 1


def test_skip_resumes_after_checkpoint():
    lines, expected = _synthetic(n_orders=12)
    resumed = [parent["id"] for parent, _ in JsonlJoiner(lines, skip=5)]
    assert resumed == list(expected)[5:]


def test_groups_feed_order_mapping():
    lines = [
        b'{"id":"gid://shopify/LineItem/7","sku":"S","title":"T","variantTitle":null,'
        b'"quantity":2,"product":{"id":"gid://shopify/Product/3"},"variant":null,'
        b'"originalUnitPriceSet":{"shopMoney":{"amount":"5.50","currencyCode":"EUR"}},'
        b'"__parentId":"gid://shopify/Order/1"}',
        b'{"id":"gid://shopify/Order/1","name":"#1001","currencyCode":"EUR"}',
    ]
    ((parent, children),) = list(JsonlJoiner(lines))
    order = order_from_graphql(parent, children)
    assert order.number == 1001
    assert order.line_items == [
        {
            "id": "7",
            "product_id": "3",
            "variant_id": None,
            "sku": "S",
            "title": "T",
            "variant_title": None,
            "quantity": 2,
            "price": "5.50",
        }
    ]


def test_a_child_of_a_child_never_joins_a_root_with_the_same_number():
    lines = [
        b'{"id":"gid://shopify/Order/5"}',
        b'{"id":"gid://shopify/LineItem/5","__parentId":"gid://shopify/Order/5"}',
        b'{"id":"gid://shopify/Discount/1","__parentId":"gid://shopify/LineItem/5"}',
    ]
    joiner, groups = _groups(lines)
    _, children = groups["gid://shopify/Order/5"]
    assert list(children) == ["LineItem"]
    assert joiner.orphan_count == 1


def test_parent_id_is_read_from_the_key_not_from_values():
    lines = [
        # Spaces around the colon, as a pretty-printing producer would write.
        b'{"id": "gid://shopify/LineItem/1", "__parentId" : "gid://shopify/Order/1"}',
        # The key's text inside string values does not make a line a child.
        b'{"id":"gid://shopify/Order/1","note":"\\"__parentId\\":\\"x\\"","tag":"__parentId"}',
        b'{"id":"gid://shopify/Order/2","__parentId":null}',
    ]
    joiner, groups = _groups(lines)
    assert list(groups) == ["gid://shopify/Order/1", "gid://shopify/Order/2"]
    assert [c["id"] for c in groups["gid://shopify/Order/1"][1]["LineItem"]] == [
        "gid://shopify/LineItem/1"
    ]
    assert joiner.orphan_count == 0


def test_after_index_splits_the_groups_between_iterators_over_the_same_content():
    """``after_index`` (the import's second reader, ADR 0090): each iterator yields only
    the groups its predicate takes, counted after ``skip``, and together they yield
    every group exactly once, children joined as without a split."""
    lines = []
    for n in range(1, 8):
        lines.append(orjson.dumps({"id": f"gid://shopify/Order/{n}"}))
    for n in range(7, 0, -1):  # children after every parent, in reverse
        line = {"id": f"gid://shopify/LineItem/{n}", "__parentId": f"gid://shopify/Order/{n}"}
        lines.append(orjson.dumps(line))
    whole = [(p["id"], c) for p, c in JsonlJoiner(lines, skip=1)]
    halves = []
    for share in (0, 1):
        joiner = JsonlJoiner(lines, skip=1)
        joiner.after_index = lambda share=share: lambda position: (position // 2) % 2 == share
        halves.append([(p["id"], c) for p, c in joiner])
        assert joiner.orphan_count == 0
    assert [g[0] for g in halves[0]] == [f"gid://shopify/Order/{n}" for n in (2, 3, 6, 7)]
    assert [g[0] for g in halves[1]] == [f"gid://shopify/Order/{n}" for n in (4, 5)]
    assert sorted(halves[0] + halves[1]) == sorted(whole)
    assert all(children["LineItem"] for _, children in whole)
