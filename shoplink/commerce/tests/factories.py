"""Small factories for commerce rows as the Shopify integration stores them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from shoplink.commerce.models import Checkout, Collection, Order, Product

SOURCE = "shopify:demo-store.myshopify.com"
T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def order(project, n: int, *, contact=None, source=SOURCE, **fields) -> Order:
    defaults = {
        "external_id": str(5000 + n),
        "number": 1000 + n,
        "name": f"#{1000 + n}",
        "email": contact.email if contact else f"buyer{n}@example.test",
        "currency": "EUR",
        "total_price": Decimal("10.00") + n,
        "subtotal_price": Decimal("10.00") + n,
        "total_discounts": Decimal("0"),
        "total_tax": Decimal("0"),
        "financial_status": "paid",
        "source_created_at": T0 + dt.timedelta(hours=n),
        "source_updated_at": T0 + dt.timedelta(hours=n),
        "line_items": [
            {
                "id": "1",
                "product_id": "7001",
                "variant_id": "8001",
                "sku": "TEE-S",
                "title": "Tee",
                "variant_title": "S",
                "quantity": 2,
                "price": "5.00",
            }
        ],
    }
    defaults.update(fields)
    return Order.objects.create(project=project, source=source, contact=contact, **defaults)


def product(project, n: int, *, source=SOURCE, **fields) -> Product:
    defaults = {
        "external_id": str(7000 + n),
        "title": f"Product {n}",
        "vendor": "Acme",
        "status": "active",
        "price_min": Decimal("5.00"),
        "price_max": Decimal("5.00"),
        "variants": [{"id": str(8000 + n), "sku": f"SKU-{n}", "title": "S", "price": "5.00"}],
        "source_updated_at": T0,
    }
    defaults.update(fields)
    return Product.objects.create(project=project, source=source, **defaults)


def collection(project, n: int, product_ids, *, source=SOURCE) -> Collection:
    return Collection.objects.create(
        project=project,
        source=source,
        external_id=str(9000 + n),
        title=f"Collection {n}",
        handle=f"collection-{n}",
        product_ids=list(product_ids),
        source_updated_at=T0,
    )


def checkout(project, token: str, *, contact=None, source=SOURCE, **fields) -> Checkout:
    defaults = {
        "email": contact.email if contact else "",
        "currency": "EUR",
        "total_price": Decimal("12.00"),
        "source_created_at": T0,
        "source_updated_at": T0,
    }
    defaults.update(fields)
    return Checkout.objects.create(
        project=project, source=source, external_id=token, contact=contact, **defaults
    )
