"""The only modules with queue decorators: thin jobs that load by id and call a service.

Jobs import services; services never import jobs. A service asks for a job through
``intents``; :data:`INTENT_JOBS` says which job serves each intent, and
``ShopifyConfig.ready`` binds it. Importing this package registers every job (and the
periodic ones) with Huey.
"""

from shoplink.integrations.shopify.jobs import connection, sync, webhooks, writeback

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
