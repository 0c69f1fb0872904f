"""Pages of the marketing core: contacts, lists, events; project switching; errors.

Views only read and render; every list page fetches related rows in the same
queries (no query per row), paginated.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shoplink.audience.models import Contact, ContactList
from shoplink.audience.search import search_contacts
from shoplink.commerce import queries as commerce_queries
from shoplink.core import metrics as core_metrics
from shoplink.events.models import Event
from shoplink.projects.middleware import SESSION_KEY
from shoplink.projects.models import Role
from shoplink.projects.permissions import project_role_required
from shoplink.web import segments
from shoplink.web.rendering import render_page

PAGE_SIZE = 50


@login_required
def home(request):
    if request.project is None:
        return render(request, "web/no_project.html", status=403)
    return redirect("web:contacts")


@login_required
@require_POST
def switch_project(request):
    project_id = request.POST.get("project_id", "")
    if project_id == "new":  # the switcher's last option
        return redirect("projects:new")
    if not project_id.isascii() or not project_id.isdigit():
        raise Http404("No such project")
    if request.user.memberships.filter(project_id=project_id).exists():
        request.session[SESSION_KEY] = int(project_id)
    target = request.POST.get("next") or ""
    # Only this site's own paths: an absolute or scheme-relative URL would make the
    # switcher an open redirect.
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts=None, require_https=request.is_secure()
    ) or not target.startswith("/"):
        return redirect("web:home")
    return redirect(target)


@project_role_required(Role.VIEWER)
def contact_list(request):
    q = request.GET.get("q", "").strip()
    contacts = search_contacts(Contact.objects.filter(project=request.project), q)
    # The heat map's links: contacts of one RFM segment, of one store or of the project.
    segment = request.GET.get("segment", "")
    source = request.GET.get("source", "")
    if segment in segments.SEGMENT_NAMES:
        contacts = contacts.filter(**{f"attributes__{segments.SEGMENT_ATTRIBUTE}": segment})
        if source:
            contacts = contacts.filter(source=source)
    else:
        segment = source = ""
    page = Paginator(contacts.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "segment": segment,
        "segment_label": segments.SEGMENT_NAMES.get(segment, ""),
        "source": source,
        "store": segments.store_label(source),
        "nav": "contacts",
    }
    return render_page(request, "web/contacts.html", context, fragment="web/_contacts_table.html")


@project_role_required(Role.VIEWER)
def segment_map(request):
    """The RFM heat map for the project or one store, each cell linking to its contacts."""
    scopes = segments.count_segments(request.project)
    source = request.GET.get("source", "")
    if source not in scopes:
        source = ""
    counts = scopes[source]
    stores = [(s, segments.store_label(s)) for s in sorted(scopes) if s]
    context = {
        "nav": "contacts",
        "source": source,
        "store": segments.store_label(source),
        "stores": stores,
        "counts": counts,
        "grid": segments.grid(counts),
        "segment_list": segments.segment_list(counts),
    }
    return render(request, "web/segments.html", context)


@project_role_required(Role.VIEWER)
def contact_detail(request, contact_id: int):
    contact = get_object_or_404(Contact, project=request.project, pk=contact_id)
    consents = {c.channel: c for c in contact.consents.all()}
    lists = ContactList.objects.filter(memberships__contact=contact).order_by("name")
    events = contact.events.order_by("-id")[:50]
    attributes = sorted((contact.attributes or {}).items())
    orders = commerce_queries.list_orders(
        request.project, commerce_queries.OrderFilter(contact_id=contact.pk)
    )
    open_checkouts = commerce_queries.list_checkouts(
        request.project, commerce_queries.CheckoutFilter(contact_id=contact.pk, state="open")
    )
    return render(
        request,
        "web/contact_detail.html",
        {
            "orders": orders[:10],
            "open_checkouts": open_checkouts[:10],
            "contact": contact,
            "email_consent": consents.get("email"),
            "sms_consent": consents.get("sms"),
            "lists": lists,
            "events": events,
            "attributes": attributes,
            "nav": "contacts",
        },
    )


@project_role_required(Role.VIEWER)
def contact_timeline(request, contact_id: int):
    contact = get_object_or_404(Contact, project=request.project, pk=contact_id)
    events = contact.events.order_by("-id")[:50]
    return render(request, "web/_timeline.html", {"events": events, "contact": contact})


@project_role_required(Role.VIEWER)
def list_index(request):
    lists = ContactList.objects.filter(project=request.project).order_by("name")
    return render(request, "web/lists.html", {"lists": lists, "nav": "lists"})


@project_role_required(Role.VIEWER)
def list_detail(request, list_id: int):
    contact_list = get_object_or_404(ContactList, project=request.project, pk=list_id)
    members = Contact.objects.filter(list_memberships__contact_list=contact_list).order_by("-id")
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "web/list_detail.html", {"list": contact_list, "page": page, "nav": "lists"}
    )


@project_role_required(Role.VIEWER)
def event_list(request):
    name = request.GET.get("name", "").strip()
    events = Event.objects.filter(project=request.project).select_related("contact")
    if name:
        events = events.filter(name=name)
    page = Paginator(events.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    names = (
        Event.objects.filter(project=request.project)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    return render_page(
        request,
        "web/events.html",
        {"page": page, "name": name, "names": list(names), "nav": "events"},
        fragment="web/_events_table.html",
    )


def favicon(request):
    """The icon browsers ask for at ``/favicon.ico`` on pages without a ``<link rel=icon>``
    (JSON API docs, error pages): a real icon, so no console shows a 404."""
    path = finders.find("web/favicon.ico")
    with open(path, "rb") as f:
        body = f.read()
    response = HttpResponse(body, content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def healthz(request):
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def metrics(request):
    """Operational gauges in Prometheus' text format, for the operator's monitoring.

    Off (404) unless ``METRICS_TOKEN`` is set; then the scraper sends it as a bearer
    token. The figures name no store or person, but they are still the operator's.
    """
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off (set METRICS_TOKEN).")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        response = HttpResponse("A valid bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(
        core_metrics.render(), content_type="text/plain; version=0.0.4; charset=utf-8"
    )


def error_403(request, exception=None):
    return render(request, "web/403.html", status=403)


def error_404(request, exception=None):
    return render(request, "web/404.html", status=404)


def error_500(request):
    # No context processors that touch the database: the error may be the database.
    return HttpResponse(
        "<!doctype html><title>Server error</title><h1>Something went wrong</h1>"
        "<p>The error has been logged. Please try again in a moment.</p>",
        status=500,
    )
