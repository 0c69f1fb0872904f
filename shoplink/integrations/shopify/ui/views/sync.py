"""The Sync settings drawer (D14, D15): toggles, customer list, Sync status, start/retry.

Each view authenticates (project admin), validates, calls one function of ``services``
(writes) or ``sync.toggles`` (the drawer's read model) and renders an htmx fragment.
Errors a merchant can fix come back as an error toast on the same fragment, never a 500.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from shoplink.core.errors import ValidationFailed
from shoplink.integrations.shopify import services
from shoplink.integrations.shopify.connection.oauth import ConnectBlocked
from shoplink.integrations.shopify.models import Entity, ShopifyStore
from shoplink.integrations.shopify.sync import toggles
from shoplink.projects.models import Role
from shoplink.projects.permissions import project_role_required
from shoplink.web.rendering import with_toast


def _store(request, store_id: int) -> ShopifyStore:
    return get_object_or_404(
        ShopifyStore.objects.select_related("project", "customer_list"),
        pk=store_id,
        project=request.project,
    )


@require_GET
@project_role_required(Role.ADMIN)
def sync_settings_drawer(request, store_id: int):
    store = _store(request, store_id)
    return render(request, "shopify/_sync_drawer.html", toggles.drawer_context(store))


@require_GET
@project_role_required(Role.ADMIN)
def sync_status(request, store_id: int):
    store = _store(request, store_id)
    return render(
        request,
        "shopify/_sync_status.html",
        {**toggles.status_context(store), "fragment": True},
    )


def _settings_fragment(request, store, error: str = "", prompt: dict | None = None):
    response = render(
        request,
        "shopify/_sync_form.html",
        {**toggles.drawer_context(store), "oob": True, "scope_prompt": prompt},
    )
    if prompt:
        return response  # nothing saved yet: no toast
    if error:
        return with_toast(response, error, "error")
    return with_toast(response, services.MSG_SETTINGS_SAVED)


@require_POST
@project_role_required(Role.ADMIN)
def sync_toggle(request, store_id: int):
    """Save one toggle. A Data-to-Shopify toggle that needs a scope Shopify has not granted
    first answers a warning with the choices (``confirm``: ``reconnect`` saves and leaves
    for Shopify's install page, ``later`` just saves); nothing is saved until then."""
    store = _store(request, store_id)
    field = request.POST.get("field", "")
    on = request.POST.get("value") == "on"
    confirm = request.POST.get("confirm", "")
    warning = services.toggle_needs_reconnect(store, field, on)
    if warning and confirm not in ("reconnect", "later"):
        label = dict(toggles.OUTBOUND).get(field, "")
        return _settings_fragment(
            request, store, prompt={"field": field, "label": label, "message": warning}
        )
    try:
        services.set_toggle(store, field, on)
    except ValidationFailed as e:
        return _settings_fragment(request, store, e.message)
    if warning and confirm == "reconnect":
        try:
            url = services.begin_reconnect(request.session, store)
        except ConnectBlocked as e:
            return _settings_fragment(request, store, e.message)
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return _settings_fragment(request, store)


@require_POST
@project_role_required(Role.ADMIN)
def sync_list(request, store_id: int):
    store = _store(request, store_id)
    try:
        services.assign_list(store, request.POST.get("customer_list", ""))
    except ValidationFailed as e:
        return _settings_fragment(request, store, e.message)
    return _settings_fragment(request, store)


def _status_fragment(request, store, message: str, level: str = "success"):
    store.refresh_from_db()
    response = render(
        request,
        "shopify/_sync_status.html",
        {**toggles.status_context(store), "fragment": True},
    )
    return with_toast(response, message, level)


@require_POST
@project_role_required(Role.ADMIN)
def sync_start(request, store_id: int):
    store = _store(request, store_id)
    try:
        toast = services.start_sync(store)
    except ValidationFailed as e:
        return _status_fragment(request, store, e.message, "error")
    return _status_fragment(request, store, toast)


@require_POST
@project_role_required(Role.ADMIN)
def sync_retry(request, store_id: int, entity: str):
    store = _store(request, store_id)
    if entity not in Entity.values:
        return _status_fragment(request, store, "Unknown entity.", "error")
    try:
        toast = services.retry_entity(store, entity)
    except ValidationFailed as e:
        return _status_fragment(request, store, e.message, "error")
    return _status_fragment(request, store, toast)
