"""The Admin GraphQL schema: 2025-01 introspection plus `data/admin_extensions.graphql`.

Loader convention shared with the product's schema test (see the SDL file header): a
field declared in an `extend type` / `extend input` block replaces the 2025-01 field of
the same name, so those fields are dropped from the introspection before extending.
"""

from __future__ import annotations

import gzip
import json
import threading
from pathlib import Path

import graphql
from graphql.language import (
    InputObjectTypeExtensionNode,
    ObjectTypeExtensionNode,
)

DATA = Path(__file__).parent / "data"
_lock = threading.Lock()
_schema: graphql.GraphQLSchema | None = None


def _load() -> graphql.GraphQLSchema:
    with gzip.open(DATA / "admin_schema_2025-01.json.gz") as fh:
        intro = json.load(fh)["data"]
    sdl = (DATA / "admin_extensions.graphql").read_text()
    doc = graphql.parse(sdl)
    replaced: dict[str, set[str]] = {}
    for d in doc.definitions:
        if isinstance(d, ObjectTypeExtensionNode | InputObjectTypeExtensionNode):
            replaced.setdefault(d.name.value, set()).update(f.name.value for f in d.fields or ())
    for t in intro["__schema"]["types"]:
        names = replaced.get(t["name"])
        if not names:
            continue
        if t.get("fields"):
            t["fields"] = [f for f in t["fields"] if f["name"] not in names]
        if t.get("inputFields"):
            t["inputFields"] = [f for f in t["inputFields"] if f["name"] not in names]
    base = graphql.build_client_schema(intro)
    schema = graphql.extend_schema(base, doc, assume_valid_sdl=True)
    # Shopify's real schema breaks a few of graphql-core's own schema rules (deprecated
    # interface implementations); treat it as valid, as Shopify's server does.
    schema._validation_errors = []
    return schema


def get_schema() -> graphql.GraphQLSchema:
    """Build once per process (about a second) and share."""
    global _schema
    with _lock:
        if _schema is None:
            _schema = _load()
        return _schema
