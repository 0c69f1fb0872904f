"""``{% store_activity store as activity %}``: the Activity data for a store's details drawer.

A tag because the drawer includes ``shopify/_activity.html`` with ``store`` only.
"""

from django import template

from shoplink.integrations.shopify.ui.activity import store_activity as _store_activity

register = template.Library()


@register.simple_tag
def store_activity(store):
    return _store_activity(store)
