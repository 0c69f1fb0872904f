"""API v1: events, contacts, consent, lists, stores, commerce reads. OpenAPI at /api/v1/docs."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import HttpBearer

from shoplink.api.models import ApiKey, hash_key
from shoplink.api.services import NotFound
from shoplink.api.v1_commerce import router as commerce_router
from shoplink.api.v1_data import router as data_router
from shoplink.api.v1_endpoints import router as endpoints_router
from shoplink.api.v1_members import router as members_router
from shoplink.api.v1_stores import router as stores_router
from shoplink.core.errors import ValidationFailed


class ProjectKey(HttpBearer):
    """``Authorization: Bearer <key>``; the key names its project."""

    def authenticate(self, request, token):
        key = (
            ApiKey.objects.select_related("project")
            .filter(key_hash=hash_key(token), revoked_at__isnull=True)
            .first()
        )
        if key is None:
            return None
        request.project = key.project
        return key


# Every operation may answer these, always as ``{"detail": ...}``: a bad request or a
# refused action (400), no or a wrong key (401), not in this project (404), a conflicting
# state (409), a body the schema refuses (422), Shopify failing behind the action (502).
_ERRORS = {
    "400": "Bad request: the message says what to change",
    "401": "Missing or invalid API key",
    "404": "Not found in this project",
    "409": "Conflicts with the store's current state",
    "422": "The body or parameters do not match the schema",
    "502": "Shopify failed behind the action",
}
_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"anyOf": [{"type": "string"}, {"type": "array"}]}},
    "required": ["detail"],
}


class DocumentedAPI(NinjaAPI):
    """The API whose OpenAPI also documents its error answers (so clients, and the
    schemathesis run in ``make test``, can hold every answer to the description)."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                for code, text in _ERRORS.items():
                    responses.setdefault(
                        code,
                        {
                            "description": text,
                            "content": {"application/json": {"schema": _ERROR_SCHEMA}},
                        },
                    )
        return schema


api = DocumentedAPI(
    title="Shoplink API",
    version="1",
    description=(
        "Per-project JSON API. Authenticate with `Authorization: Bearer <key>` (create a key "
        "with `manage.py create_api_key <project-slug> <name>`). Batches take at most 100 "
        'items; errors answer `{"detail": ...}` with a 4xx status. Connecting and '
        "reconnecting a store stay in the browser: Shopify's OAuth grant needs the merchant "
        "to approve it on the install page."
    ),
    auth=ProjectKey(),
    urls_namespace="api-v1",
)
api.add_router("/", data_router)
api.add_router("/", stores_router)
api.add_router("/", members_router)
api.add_router("/", commerce_router)
api.add_router("/", endpoints_router)


@api.exception_handler(ValidationFailed)
def _validation_failed(request, exc: ValidationFailed):
    return api.create_response(request, {"detail": exc.message}, status=400)


@api.exception_handler(NotFound)
def _not_found(request, exc: NotFound):
    return api.create_response(request, {"detail": str(exc)}, status=404)
