"""Requests the database could never store are refused before any view runs.

PostgreSQL text cannot hold a NUL byte (0x00); a query string or form value carrying one
would reach a filter and fail as a 500 there. Answered 400 here, on every path (found by
the schemathesis run of the JSON API, issue 12).
"""

from __future__ import annotations

from django.http import JsonResponse


class RejectNulBytes:
    """Answer 400 to a request whose query string or form fields contain a NUL byte."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get(
            "QUERY_STRING", ""
        ):
            # The JSON API's documented error shape, which a browser reads fine too.
            return JsonResponse({"detail": "NUL bytes are not allowed in a request."}, status=400)
        return self.get_response(request)
