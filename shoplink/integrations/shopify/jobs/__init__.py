"""The only modules with queue decorators: thin jobs that load by id and call a service.

Jobs import services; services never import jobs. A service asks for a job through
``intents``; :data:`INTENT_JOBS` says which job serves each intent, and
``ShopifyConfig.ready`` binds it. Importing this package registers every job (and the
periodic ones) with Huey.
"""

from shoplink.integrations.shopify.api.errors import ShopifyAuthError
from shoplink.integrations.shopify.jobs import connection, sync, webhooks, writeback
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus

# Jobs whose first argument is a store id; ``drain_webhooks`` takes the shop's domain.
STORE_ID_JOBS = {
    "advance_sync",
    "reconcile_store",
    "catch_up_store",
    "delete_store",
    "check_store_health",
    "recompute_store_rfm",
    "fill_in_store_profiles",
    "push_opt_out",
    "write_store_engagement",
}

INTENT_JOBS = {
    "advance_sync": sync.advance_sync,
    "reconcile_store": sync.reconcile_store,
    "catch_up_store": sync.catch_up_store,
    "delete_store": connection.delete_store,
    "check_store_health": connection.check_store_health,
    "drain_webhooks": webhooks.drain_webhooks,
    "process_webhook": webhooks.process_webhook,
    "recompute_store_rfm": webhooks.recompute_store_rfm,
    "fill_in_profiles": writeback.fill_in_store_profiles,
    "write_engagement": writeback.write_store_engagement,
    "push_opt_out": writeback.push_opt_out,
}


def store_gone(exc: BaseException, name: str, args: tuple) -> str | None:
    """A Shopify auth error in a job for a store being deleted or deleted: Delete revoked
    the token on purpose, so the job has nothing left to do (``queue.jobs`` logs one line).
    An auth error for a live store is a real failure and is raised as before."""
    if not isinstance(exc, ShopifyAuthError) or not args:
        return None
    if name in STORE_ID_JOBS:
        stores = ShopifyStore.objects.filter(pk=args[0])
    elif name == "drain_webhooks":
        stores = ShopifyStore.objects.filter(domain=args[0])
    else:
        return None
    if stores.exclude(status=StoreStatus.DELETING).exists():
        return None
    return "the store was deleted, so Shopify no longer accepts its token"
