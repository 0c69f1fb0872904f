from django.apps import AppConfig


class ShopifyConfig(AppConfig):
    name = "shoplink.integrations.shopify"
    label = "shopify"
    verbose_name = "Shopify integration"

    def ready(self) -> None:
        # Signal receivers and sweepers register themselves on import.
        from shoplink.integrations.shopify import receivers  # noqa: F401
