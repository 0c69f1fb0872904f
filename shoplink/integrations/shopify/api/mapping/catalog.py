"""Products with variants, and collections."""

from __future__ import annotations

from decimal import Decimal

from shoplink.integrations.shopify.api.mapping.records import (
    CollectionRecord,
    ProductRecord,
)
from shoplink.integrations.shopify.api.mapping.scalars import (
    as_amount,
    as_lower,
    as_money,
    gid_to_id,
    nested_nodes,
    parse_datetime,
    split_tags,
)


def _variant(variant: dict) -> dict:
    return {
        "id": gid_to_id(variant.get("id")),
        "sku": variant.get("sku"),
        "title": variant.get("title"),
        "price": as_amount(variant.get("price")),
    }


def product_from_webhook(payload: dict) -> ProductRecord:
    """Map ``products/create|update``; tags arrive as one comma-separated string."""
    variants = [_variant(v) for v in payload.get("variants") or []]
    prices = [Decimal(v["price"]) for v in variants if v["price"] is not None]
    image = payload.get("image") or next(iter(payload.get("images") or []), None)
    return ProductRecord(
        external_id=gid_to_id(payload["id"]),
        title=payload.get("title"),
        handle=payload.get("handle"),
        status=as_lower(payload.get("status")),
        vendor=payload.get("vendor"),
        product_type=payload.get("product_type"),
        tags=split_tags(payload.get("tags")),
        price_min=min(prices) if prices else None,
        price_max=max(prices) if prices else None,
        image_url=(image or {}).get("src"),
        variants=variants,
        source_updated_at=parse_datetime(payload.get("updated_at")),
    )


def product_from_graphql(node: dict, variants: list[dict] | None = None) -> ProductRecord:
    """Map a GraphQL ``Product``; variants from JSONL children or nested ``variants``."""
    if variants is None:
        variants = nested_nodes(node, "variants")
    price_range = node.get("priceRangeV2") or {}
    media = node.get("featuredMedia") or {}
    image = ((media.get("preview") or {}).get("image") or {}).get("url")
    image = image or (node.get("featuredImage") or {}).get("url")
    return ProductRecord(
        external_id=gid_to_id(node["id"]),
        title=node.get("title"),
        handle=node.get("handle"),
        status=as_lower(node.get("status")),
        vendor=node.get("vendor"),
        product_type=node.get("productType"),
        tags=split_tags(node.get("tags")),
        price_min=as_money(price_range.get("minVariantPrice")),
        price_max=as_money(price_range.get("maxVariantPrice")),
        image_url=image,
        variants=[_variant(v) for v in variants],
        source_updated_at=parse_datetime(node.get("updatedAt")),
    )


def collection_from_webhook(payload: dict) -> CollectionRecord:
    """Map ``collections/create|update``; the payload lists no products (unknown)."""
    return CollectionRecord(
        external_id=gid_to_id(payload["id"]),
        title=payload.get("title"),
        handle=payload.get("handle"),
        product_ids=None,
        source_updated_at=parse_datetime(payload.get("updated_at")),
    )


def collection_from_graphql(node: dict, product_ids: list[str] | None = None) -> CollectionRecord:
    """Map a GraphQL ``Collection``; product ids (GIDs or numeric) from JSONL or nested.

    With nested products, a page that says ``pageInfo.hasNextPage`` is a partial
    membership, so ``product_ids`` is None (unknown) rather than a truncated list.
    """
    if product_ids is None and "products" in node:
        products = node["products"] or {}
        if not (products.get("pageInfo") or {}).get("hasNextPage"):
            product_ids = [p["id"] for p in nested_nodes(node, "products")]
    return CollectionRecord(
        external_id=gid_to_id(node["id"]),
        title=node.get("title"),
        handle=node.get("handle"),
        product_ids=[gid_to_id(p) for p in product_ids] if product_ids is not None else None,
        source_updated_at=parse_datetime(node.get("updatedAt")),
    )
