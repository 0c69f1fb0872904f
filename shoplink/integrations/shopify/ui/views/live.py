"""The Integrations page's event stream (ADR 0056): ``GET`` answers ``text/event-stream``.

Authenticates like every page of the integration (project admin), then hands the
response a :class:`live.Stream`; a process already holding ``LIVE_MAX_STREAMS`` streams
answers 503 and the page keeps polling instead.
"""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from shoplink.integrations.shopify.ui import live
from shoplink.projects.models import Role
from shoplink.projects.permissions import project_role_required


@require_GET
@project_role_required(Role.ADMIN)
def stream(request):
    """Events ``store-<id>`` whenever a store of the current project changes."""
    # The browser's own reconnect says what it has seen; the first connect brings the
    # page's fingerprints, so a change between render and connect is not lost.
    since = live.parse_token(
        request.headers.get("Last-Event-ID", "") or request.GET.get("since", "")
    )
    if not live.SLOTS.take():
        refused = HttpResponse("Live updates are busy; this page refreshes itself.", status=503)
        refused["Retry-After"] = "30"
        return refused
    response = StreamingHttpResponse(
        live.Stream(request.project.pk, since), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    # Tells nginx-style proxies not to buffer the stream.
    response["X-Accel-Buffering"] = "no"
    return response
