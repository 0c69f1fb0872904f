"""Template filters for how the staff UI writes values (no HTML built here)."""

from django import template

register = template.Library()


@register.filter
def source_label(source: str) -> str:
    """``shopify:demo.myshopify.com`` → ``demo.myshopify.com``: the store, not the key.

    The full ``source`` stays in the element's ``title``; the prefix only made a column
    twice as wide and wrapped mid-word.
    """
    return source.split(":", 1)[1] if source and ":" in source else (source or "")
