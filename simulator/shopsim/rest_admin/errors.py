"""JSON responses and error bodies of the REST Admin API, in Shopify's shapes (PLATFORM §10).

Shapes: a string for request-level errors (`{"errors":"Not Found"}`, 401, 402, 423, 429, 5xx),
an object of field → messages for 400/422. Sources: PLATFORM §1 (401 text), §10 (404, 422,
406); the 403 text, the 429 text and the `page_info` 400s are observed responses quoted in
client issue threads (Shopify/shopify_python_api #256 and #544, Shopify/shopify-api-js #755).
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

PAGINATION_DOCS = "https://shopify.dev/api/usage/pagination-rest"


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers=headers,
    )


def not_found(headers=None) -> Response:
    return json_response({"errors": "Not Found"}, 404, headers)


def not_acceptable(headers=None) -> Response:
    # Shopify answers 406 for a format it does not serve (`.xml`); the body is not
    # documented. We send the JSON error string like the other request-level errors.
    return json_response({"errors": "Not Acceptable"}, 406, headers)


def forbidden(scope: str, headers=None) -> Response:
    return json_response(
        {"errors": f"[API] This action requires merchant approval for {scope} scope."},
        403,
        headers,
    )


def bad_request(field: str, message: str, headers=None) -> Response:
    return json_response({"errors": {field: message}}, 400, headers)


def page_info_conflict(param: str, headers=None) -> Response:
    return bad_request(
        param,
        f"{param} cannot be passed when page_info is present. "
        f"See {PAGINATION_DOCS} for more information.",
        headers,
    )


def unprocessable(errors: dict[str, list[str]], headers=None) -> Response:
    return json_response({"errors": errors}, 422, headers)


def too_many_requests(rate: float, retry_after: float, headers: dict) -> Response:
    # Retry-After: Shopify is seen sending "2.0"; we send the whole seconds until one
    # request fits again, written the same way.
    headers = dict(headers, **{"Retry-After": f"{float(retry_after):.1f}"})
    return json_response(
        {
            "errors": f"Exceeded {rate:g} calls per second for api client. "
            "Reduce request rates to resume uninterrupted service."
        },
        429,
        headers,
    )


def server_error(status: int, headers=None) -> Response:
    text = {500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Error")
    return json_response({"errors": text}, status, headers)
