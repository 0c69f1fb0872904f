"""Huey discovers tasks here: one import line per task module of this integration."""

from shoplink.integrations.shopify.tasks_connect import *  # noqa: F403
from shoplink.integrations.shopify.tasks_sync import *  # noqa: F403
from shoplink.integrations.shopify.tasks_webhooks import *  # noqa: F403
from shoplink.integrations.shopify.tasks_writeback import *  # noqa: F403
