"""Products (variants, images, media, options) and collections."""

from __future__ import annotations

from shopsim.generator.words import PRODUCT_WORDS, SIZES
from shopsim.records import gid, money


class CatalogMixin:
    """Products and collections."""

    def _products(self, i: int) -> dict:
        r = self.rng("products", i)
        created, updated = self.iso_stamps("products", i)
        num = self.num("products", i)
        adj, noun, ptype = PRODUCT_WORDS[i % len(PRODUCT_WORDS)]
        title = f"{adj} {noun}" + (
            f" {i // len(PRODUCT_WORDS) + 1}" if i >= len(PRODUCT_WORDS) else ""
        )
        price = 10 + (i * 7) % 90 + 0.99
        variants = []
        for j, size in enumerate(SIZES[: r.randint(1, 4)]):
            vnum = self.sub_num("products", 1, i, j, 8)
            variants.append(
                {
                    "__typename": "ProductVariant",
                    "id": gid("ProductVariant", vnum),
                    "legacyResourceId": str(vnum),
                    "title": size,
                    "sku": f"{noun[:3].upper()}-{i}-{size}",
                    "price": f"{price:.2f}",
                    "compareAtPrice": f"{price + 5:.2f}" if r.random() < 0.3 else None,
                    "position": j + 1,
                    "inventoryQuantity": r.randint(0, 200),
                    "barcode": None,
                    "taxable": True,
                    "selectedOptions": [{"name": "Size", "value": size}],
                    "createdAt": created,
                    "updatedAt": updated,
                }
            )
        images = [
            {
                "__typename": "Image",
                "id": gid("ProductImage", self.sub_num("products", 2, i, k, 8)),
                "url": f"https://cdn.example.com/{self.handle}/p{i}-{k}.jpg",
                "altText": title,
                "width": 1024,
                "height": 1024,
            }
            for k in range(r.randint(1, 3))
        ]
        media = [
            {
                "__typename": "MediaImage",
                "id": gid("MediaImage", self.sub_num("products", 4, i, k, 8)),
                "alt": im["altText"],
                "mediaContentType": "IMAGE",
                "status": "READY",
                "image": im,
                "preview": {"__typename": "MediaPreviewImage", "image": im, "status": "READY"},
            }
            for k, im in enumerate(images)
        ]
        prices = [float(v["price"]) for v in variants]
        return {
            "__typename": "Product",
            "id": gid("Product", num),
            "priceRangeV2": {
                "minVariantPrice": money(min(prices), self.currency)["shopMoney"],
                "maxVariantPrice": money(max(prices), self.currency)["shopMoney"],
            },
            "media": media,
            "featuredMedia": media[0],
            "legacyResourceId": str(num),
            "title": title,
            "handle": title.lower().replace(" ", "-"),
            "descriptionHtml": f"<p>{title} made with care.</p>",
            "seo": {"__typename": "SEO", "title": title, "description": f"{title} made with care."},
            "vendor": "Acme",
            "productType": ptype,
            "status": "ACTIVE" if r.random() < 0.9 else "DRAFT",
            "tags": sorted(r.sample(("new", "sale", "eco", "bestseller"), r.randint(0, 2))),
            "createdAt": created,
            "updatedAt": updated,
            "publishedAt": created,
            "variants": variants,
            "images": images,
            "featuredImage": images[0],
            "totalInventory": sum(v["inventoryQuantity"] for v in variants),
            "options": [
                {
                    "__typename": "ProductOption",
                    "id": gid("ProductOption", self.sub_num("products", 3, i)),
                    "name": "Size",
                    "position": 1,
                    "values": [v["title"] for v in variants],
                }
            ],
            "onlineStoreUrl": f"https://{self.handle}.example.com/products/{i}",
        }

    def _collections(self, i: int) -> dict:
        r = self.rng("collections", i)
        created, updated = self.iso_stamps("collections", i)
        num = self.num("collections", i)
        pcount = self.counts.get("products", 0)
        members = sorted(r.sample(range(pcount), min(pcount, r.randint(1, 8)))) if pcount else []
        title = ("Summer", "Bestsellers", "New arrivals", "Gifts", "Sale", "Essentials")[i % 6] + (
            f" {i // 6 + 1}" if i >= 6 else ""
        )
        return {
            "__typename": "Collection",
            "id": gid("Collection", num),
            "legacyResourceId": str(num),
            "title": title,
            "handle": title.lower().replace(" ", "-"),
            "descriptionHtml": f"<p>{title}</p>",
            "sortOrder": "BEST_SELLING",
            "createdAt": created,
            "updatedAt": updated,
            "products": [self.ref("products", m) for m in members],
            "productsCount": {"count": len(members), "precision": "EXACT"},
            "ruleSet": None,
            "templateSuffix": None,
        }
