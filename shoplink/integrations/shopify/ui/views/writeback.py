"""The Data to Shopify dry run (D28): a drawer listing what the next pass would write.

HTTP ends here (HOUSE_STYLE): a project admin, the store of this project, one
service call (``services.writeback_preview``), a template. Opened from the
store's menu as an htmx drawer; a plain GET renders it as a page.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from shoplink.integrations.shopify import services
from shoplink.integrations.shopify.models import ShopifyStore
from shoplink.projects.models import Role
from shoplink.projects.permissions import project_role_required
from shoplink.web.rendering import render_page


@project_role_required(Role.ADMIN)
def writeback_preview_view(request, store_id: int):
    store = get_object_or_404(ShopifyStore, pk=store_id, project=request.project)
    preview = services.writeback_preview(store)
    return render_page(
        request,
        "shopify/writeback_preview.html",
        {
            "store": store,
            "preview": preview,
            "nav": "integrations",
            "write_scope_reason": services.WRITE_SCOPE_REASON,
        },
        fragment="shopify/_writeback_dryrun.html",
    )
