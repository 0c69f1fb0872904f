"""Integrations → Event push: register endpoints, see their delivery log, send a test.

Project admins only (an endpoint is an outbound request the server makes). Each
action calls one service in ``shoplink.hooks.services`` and redirects back.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shoplink.core.errors import ValidationFailed
from shoplink.events.models import Event
from shoplink.hooks import services
from shoplink.hooks.forms import EndpointForm
from shoplink.hooks.models import DeliveryStatus, Endpoint
from shoplink.projects.models import Role
from shoplink.projects.permissions import project_role_required

ACTIONS = ("test", "disable", "enable", "rotate", "reveal", "delete")


def _names(project) -> list[str]:
    return list(
        Event.objects.filter(project=project).order_by().values_list("name", flat=True).distinct()
    )


def _endpoint(request, endpoint_id: int) -> Endpoint:
    return get_object_or_404(Endpoint, project=request.project, pk=endpoint_id)


@project_role_required(Role.ADMIN)
def endpoint_list(request):
    form = EndpointForm(request.POST or None, names=_names(request.project))
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.create_endpoint(
                request.project,
                form.cleaned_data["url"],
                form.cleaned_data["event_names"],
                form.cleaned_data["description"],
            )
        except ValidationFailed as e:
            form.add_error("url", e.message)
        else:
            # Shown in this answer only (never stored in the session), then on request.
            return _detail(request, endpoint, secret=secret, status=201)
    endpoints = Endpoint.objects.filter(project=request.project).order_by("id")
    status = 400 if request.method == "POST" else 200
    context = {"endpoints": endpoints, "form": form, "nav": "hooks"}
    return render(request, "hooks/endpoints.html", context, status=status)


@project_role_required(Role.ADMIN)
def endpoint_detail(request, endpoint_id: int):
    endpoint = _endpoint(request, endpoint_id)
    form = EndpointForm(
        request.POST or None,
        names=_names(request.project),
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "event_names": endpoint.event_names,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_endpoint(
                endpoint,
                url=form.cleaned_data["url"],
                event_names=form.cleaned_data["event_names"],
                description=form.cleaned_data["description"],
            )
        except ValidationFailed as e:
            form.add_error("url", e.message)
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("hooks:endpoint", endpoint.pk)
    return _detail(request, endpoint, form=form, status=400 if request.method == "POST" else 200)


def _detail(request, endpoint: Endpoint, *, secret=None, form=None, status=200):
    if form is None:
        form = EndpointForm(
            names=_names(request.project),
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "event_names": endpoint.event_names,
            },
        )
    log = endpoint.deliveries.select_related("event").order_by("-id")
    page = Paginator(log, 50).get_page(request.GET.get("page"))
    pending = endpoint.deliveries.filter(status=DeliveryStatus.PENDING).count()
    context = {
        "endpoint": endpoint,
        "form": form,
        "secret": secret,
        "page": page,
        "pending": pending,
        "nav": "hooks",
    }
    response = render(request, "hooks/endpoint_detail.html", context, status=status)
    if secret:
        response["Cache-Control"] = "no-store"  # the secret must not sit in a cache
    return response


@project_role_required(Role.ADMIN)
@require_POST
def endpoint_action(request, endpoint_id: int, action: str):
    endpoint = _endpoint(request, endpoint_id)
    if action not in ACTIONS:
        raise Http404("No such action.")
    if action == "test":
        services.send_test_event(endpoint)
        messages.success(request, "Test event queued; its result appears in the delivery log.")
    elif action == "disable":
        services.disable_endpoint(endpoint, "Disabled by a project admin.")
        messages.success(request, "Endpoint disabled.")
    elif action == "enable":
        services.enable_endpoint(endpoint)
        messages.success(request, "Endpoint enabled; pending events are being delivered.")
    elif action == "rotate":
        return _detail(request, endpoint, secret=services.rotate_secret(endpoint))
    elif action == "reveal":
        return _detail(request, endpoint, secret=services.reveal_secret(endpoint))
    elif action == "delete":
        endpoint.delete()
        messages.success(request, "Endpoint deleted.")
        return redirect("hooks:endpoints")
    return redirect("hooks:endpoint", endpoint.pk)
