"""URLs for ``bench/webhooks.py``: the product's, plus ``/bench/ok`` (the baseline view)."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def ok(request):
    """The least a Django view can do: answer 200 (same middleware as the receiver)."""
    return HttpResponse(status=200)


urlpatterns = [path("bench/ok", ok), path("", include("config.urls"))]
