"""Views of the live-update side: the Activity fragment and privacy-export downloads.

HTTP ends here (HOUSE_STYLE): authenticate as a project admin, load, render.
"""

from __future__ import annotations

import orjson
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from shoplink.integrations.shopify.models import ActivityEntry, ShopifyStore
from shoplink.integrations.shopify.ui import activity as activity_reads
from shoplink.integrations.shopify.webhooks.topics import compliance as privacy
from shoplink.projects.models import Role
from shoplink.projects.permissions import project_role_required


def _store(request, store_id: int) -> ShopifyStore:
    return get_object_or_404(ShopifyStore, pk=store_id, project=request.project)


@project_role_required(Role.ADMIN)
def activity(request, store_id: int):
    """The Activity section alone (the drawer polls it)."""
    store = _store(request, store_id)
    return render(
        request, "shopify/_activity_body.html", {"activity": activity_reads.store_activity(store)}
    )


@project_role_required(Role.ADMIN)
def privacy_export(request, store_id: int, entry_id: int):
    """Download the JSON export of one ``customers/data_request`` (D26)."""
    store = _store(request, store_id)
    try:
        entry = privacy.get_export(store, entry_id)
    except ActivityEntry.DoesNotExist as missing:
        raise Http404("No such export") from missing
    body = orjson.dumps(entry.detail.get("export") or {}, option=orjson.OPT_INDENT_2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = (
        f'attachment; filename="data-request-{store.domain}-{entry.pk}.json"'
    )
    response["Cache-Control"] = "no-store"  # personal data: never cached
    return response
