"""Every change to a shop, and the webhooks Shopify would fire for it.

The control API, the admin page and GraphQL mutations all call these functions, so a
change made any way produces the same records and the same deliveries. One module per
concern: `fields` (control-API JSON ↔ record fields), `emit` (handing a webhook to the
hub), `resources` (create / update / delete / consent of any record), `orders` (changes to
an existing order) and `app` (install, scopes, compliance topics).
"""

from __future__ import annotations

from shopsim.changes.app import compliance, set_scopes, uninstall
from shopsim.changes.emit import fire
from shopsim.changes.fields import apply_fields, camel, control_view, jsonable
from shopsim.changes.orders import cancel, fulfill, fulfillment_event, pay, refund
from shopsim.changes.resources import create, delete, set_consent, update

__all__ = [
    "apply_fields",
    "camel",
    "cancel",
    "compliance",
    "control_view",
    "create",
    "delete",
    "fire",
    "fulfill",
    "fulfillment_event",
    "jsonable",
    "pay",
    "refund",
    "set_consent",
    "set_scopes",
    "uninstall",
    "update",
]
