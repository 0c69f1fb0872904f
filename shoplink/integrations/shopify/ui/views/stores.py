"""Integrations page, connect drawer, store cards and the Store Details drawer (htmx).

HTTP ends here (HOUSE_STYLE): each view authenticates (project admin, D1), validates
with a form, calls one function of ``services.py`` and renders a page or an htmx
fragment. Sync settings live in ``sync.py``, Activity in ``activity.py``.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shoplink.integrations.shopify import services
from shoplink.integrations.shopify.connection import lifecycle, oauth
from shoplink.integrations.shopify.models import ShopifyStore, StoreStatus
from shoplink.integrations.shopify.ui import cards, live
from shoplink.integrations.shopify.ui.forms import ConnectStoreForm, DeleteStoreForm
from shoplink.projects.middleware import SESSION_KEY as PROJECT_SESSION_KEY
from shoplink.projects.models import Role
from shoplink.projects.permissions import project_role_required
from shoplink.web.rendering import render_page, with_toast


def _store(request, store_id: int) -> ShopifyStore:
    return get_object_or_404(ShopifyStore, pk=store_id, project=request.project)


def _redirect(request, url: str) -> HttpResponse:
    """Leave the page: ``HX-Redirect`` for htmx requests, a plain 302 otherwise."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _card(
    request,
    store: ShopifyStore,
    toast: str | None = None,
    level: str = "success",
    *,
    from_drawer: bool = False,
):
    """Answer the store's card; ``from_drawer``: swap it for the card and close the drawer."""
    response = render(request, "shopify/_store_card.html", cards.card_context(store))
    if from_drawer:
        response["HX-Retarget"] = f"#store-{store.pk}"
        response["HX-Reswap"] = "outerHTML"
        # After the swap: closing first would remove the requesting button, and htmx
        # drops a swap whose source element has left the page.
        response["HX-Trigger-After-Swap"] = json.dumps({"closeDrawer": True})
    return with_toast(response, toast, level) if toast else response


@require_GET
@project_role_required(Role.ADMIN)
def integrations(request):
    """The Integrations page; ``?open=sync&store=<id>`` opens that store's Sync settings."""
    context = {
        "cards": cards.list_cards(request.project),
        "nav": "integrations",
        # The live stream starts from what this page shows (ADR 0056).
        "live_since": live.token(live.fingerprints(request.project.pk)),
    }
    store_id = request.GET.get("store", "")
    if request.GET.get("open") == "sync" and store_id.isdigit():
        store = ShopifyStore.objects.filter(pk=int(store_id), project=request.project).first()
        if store is not None:
            context["open_drawer_url"] = cards.sync_settings_url(store)
    return render(request, "shopify/integrations.html", context)


@require_GET
@project_role_required(Role.ADMIN)
def connect_platform(request):
    """The platform choice drawer opened by "Connect platform"."""
    return render(request, "shopify/_platform_drawer.html", {})


@require_http_methods(["GET", "POST"])
@project_role_required(Role.ADMIN)
def connect_store(request):
    """The "Connect Shopify store" drawer; a valid domain leaves for Shopify's install page."""
    form = ConnectStoreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            url = services.begin_connect(
                request.session, request.project, form.cleaned_data["domain"]
            )
        except oauth.ConnectBlocked as e:
            form.add_error("domain", e.message)
        else:
            return _redirect(request, url)
    # htmx: opening answers the drawer; a submit answers just the form, swapped in place.
    fragment = "shopify/_connect_form.html" if request.method == "POST" else None
    return render_page(
        request,
        "shopify/connect_page.html",
        {"form": form},
        fragment=fragment or "shopify/_connect_drawer.html",
    )


@require_GET
def callback(request):
    """Shopify's redirect back after Install app or Cancel (D8, D9)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        store = services.complete_connect(request.session, request.GET, request.user)
    except oauth.OAuthFailed as e:
        messages.error(request, e.message)
        return redirect("shopify:integrations")
    request.session[PROJECT_SESSION_KEY] = store.project_id
    warning = services.connect_warning(store)
    if warning:
        # Not a success: the grant lacks a needed scope, or live updates are not back.
        messages.warning(request, warning)
    else:
        messages.success(request, services.connect_success(store))
    if services.was_reconnect(store):
        # A Reconnect returns to the cards: its settings were chosen when it first connected.
        return redirect("shopify:integrations")
    return redirect(reverse("shopify:integrations") + f"?open=sync&store={store.pk}")


@require_GET
@project_role_required(Role.ADMIN)
def store_card(request, store_id: int):
    """One card (htmx refresh); empty once a delete has finished, which removes it."""
    store = ShopifyStore.objects.filter(pk=store_id, project=request.project).first()
    if store is None:
        return HttpResponse("")
    return _card(request, store)


@require_GET
@project_role_required(Role.ADMIN)
def store_details(request, store_id: int):
    """The Store Details drawer (D13)."""
    store = _store(request, store_id)
    return render(request, "shopify/_details_drawer.html", cards.details_context(store))


@require_POST
@project_role_required(Role.ADMIN)
def check_health(request, store_id: int):
    """Run a health check now (D12); answer the refreshed card and the result toast."""
    store = _store(request, store_id)
    check = services.run_health_check(store)
    store.refresh_from_db()
    return _card(
        request, store, services.health_message(check), "success" if check.passed else "error"
    )


@require_POST
@project_role_required(Role.ADMIN)
def reconnect(request, store_id: int):
    """Reconnect (D31): the same OAuth flow for an existing card."""
    store = _store(request, store_id)
    try:
        url = services.begin_reconnect(request.session, store)
    except oauth.ConnectBlocked as e:
        return _card(request, store, e.message, "error")
    return _redirect(request, url)


@require_http_methods(["GET", "POST"])
@project_role_required(Role.ADMIN)
def disconnect(request, store_id: int):
    """GET: the D29 confirmation; POST: disconnect and answer the grey card."""
    store = _store(request, store_id)
    if request.method == "GET":
        return render(
            request,
            "shopify/_disconnect_drawer.html",
            {"store": store, "prompt": lifecycle.MSG_DISCONNECT_CONFIRM},
        )
    toast = services.disconnect_store(store)
    return _card(request, store, toast, from_drawer=True)


@require_http_methods(["GET", "POST"])
@project_role_required(Role.ADMIN)
def delete(request, store_id: int):
    """GET: the D30 destructive confirmation; POST with the typed domain: start the delete."""
    store = _store(request, store_id)
    form = DeleteStoreForm(request.POST or None, store=store)
    if request.method == "POST" and store.status != StoreStatus.DELETING and form.is_valid():
        toast = services.delete_store(store)
        return _card(request, store, toast, from_drawer=True)
    template = (
        "shopify/_delete_form.html" if request.method == "POST" else "shopify/_delete_drawer.html"
    )
    return render(request, template, {"store": store, "form": form})
