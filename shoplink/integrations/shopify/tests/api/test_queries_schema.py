"""Every document in queries.py validates against the Admin schema we target.

The schema is the 2025-01 introspection plus the SDL extension for later additions,
both read from ``simulator/shopsim/data`` by path (the simulator is never imported).
Documents are discovered from the module, so a new one cannot skip validation.
"""

import copy
import gzip
import inspect
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from graphql import (
    InputObjectTypeExtensionNode,
    ObjectTypeExtensionNode,
    OperationDefinitionNode,
    build_client_schema,
    extend_schema,
    parse,
    validate,
)
from graphql.validation import NoDeprecatedCustomRule

from shoplink.integrations.shopify.api import queries
from shoplink.integrations.shopify.api.cost import (
    MAX_BULK_CONNECTIONS,
    MAX_BULK_NESTING,
    MAX_QUERY_COST,
    connection_shape,
    requested_cost,
)

REPO_ROOT = Path(__file__).resolve().parents[5]
DATA = REPO_ROOT / "simulator" / "shopsim" / "data"
SINCE = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@cache
def _introspection() -> dict:
    with gzip.open(DATA / "admin_schema_2025-01.json.gz") as fh:
        return json.load(fh)["data"]


@cache
def admin_schema():
    """Build the extended schema; extension fields replace same-named 2025-01 fields."""
    extensions = parse((DATA / "admin_extensions.graphql").read_text())
    data = copy.deepcopy(_introspection())
    types = {t["name"]: t for t in data["__schema"]["types"]}
    for node in extensions.definitions:
        if isinstance(node, ObjectTypeExtensionNode | InputObjectTypeExtensionNode):
            key = "inputFields" if isinstance(node, InputObjectTypeExtensionNode) else "fields"
            redeclared = {f.name.value for f in node.fields or ()}
            target = types[node.name.value]
            target[key] = [f for f in target[key] if f["name"] not in redeclared]
    # assume_valid: the real 2025-01 schema breaks two strict interface-deprecation rules
    # (e.g. Customer.hasTimelineComment); Shopify serves it that way, so we accept it.
    schema = build_client_schema(data, assume_valid=True)
    return extend_schema(schema, extensions, assume_valid=True)


def _constant_documents() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(queries).items()
        if name.isupper() and not name.startswith("_") and isinstance(value, str) and "{" in value
    }


def _builder_documents() -> dict[str, str]:
    documents = {}
    for builder, arguments in queries.DOCUMENT_BUILDERS.items():
        for argument in arguments:
            documents[f"{builder.__name__}({argument})"] = builder(argument)
    for entity in queries.BULK_ENTITIES:
        documents[f"bulk_query({entity}, since)"] = queries.bulk_query(entity, SINCE)
    return documents


ALL_DOCUMENTS = {**_constant_documents(), **_builder_documents()}
EXPECTED_CONSTANTS = {
    "SHOP_INFO",
    "ACCESS_SCOPES",
    "WEBHOOK_SUBSCRIPTIONS",
    "WEBHOOK_SUBSCRIPTION_CREATE",
    "WEBHOOK_SUBSCRIPTION_DELETE",
    "BULK_OPERATION_RUN_QUERY",
    "BULK_OPERATION_STATUS",
    "CURRENT_BULK_OPERATION",
    "BULK_OPERATION_CANCEL",
    "CUSTOMER_UPDATE",
    "CUSTOMER_EMAIL_CONSENT_UPDATE",
    "CUSTOMER_SMS_CONSENT_UPDATE",
    "METAFIELDS_SET",
    "APP_UNINSTALL",
    "CUSTOMER_FOR_FILL_IN",
}


def test_contract_names_exist():
    assert set(_constant_documents()) >= EXPECTED_CONSTANTS


def test_every_document_builder_is_registered():
    """A new ``*_query`` builder must be added to DOCUMENT_BUILDERS to be validated."""
    builders = {
        name
        for name, fn in inspect.getmembers(queries, inspect.isfunction)
        if fn.__module__ == queries.__name__ and name.endswith("_query")
    }
    assert builders == {fn.__name__ for fn in queries.DOCUMENT_BUILDERS}


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_document_validates_against_extended_schema(name):
    errors = validate(admin_schema(), parse(ALL_DOCUMENTS[name]))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_document_uses_no_deprecated_field(name):
    errors = validate(admin_schema(), parse(ALL_DOCUMENTS[name]), [NoDeprecatedCustomRule])
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_document_has_exactly_one_operation(name):
    ops = [d for d in parse(ALL_DOCUMENTS[name]).definitions]
    assert len(ops) == 1 and isinstance(ops[0], OperationDefinitionNode)


@pytest.mark.parametrize("entity", queries.BULK_ENTITIES)
@pytest.mark.parametrize("since", [None, SINCE], ids=["all", "since"])
def test_bulk_query_obeys_bulk_limits(entity, since):
    document = queries.bulk_query(entity, since)
    assert "$" not in document  # the inner bulk query is a string: no variables
    count, depth = connection_shape(admin_schema(), document)
    assert 1 <= count <= MAX_BULK_CONNECTIONS
    assert depth <= MAX_BULK_NESTING
    top_level = parse(document).definitions[0].selection_set.selections
    assert [f.name.value for f in top_level] not in (["node"], ["nodes"])
    assert len(top_level) == 1


def test_bulk_query_filter_is_an_updated_at_search():
    assert "updated_at:>='2026-11-30T12:00:00Z'" in queries.bulk_query("orders", SINCE)
    with pytest.raises(ValueError):
        queries.bulk_query("carts")


@pytest.mark.parametrize("entity", queries.INCREMENTAL_ENTITIES)
def test_incremental_query_cost_stays_under_cap(entity):
    variables = queries.incremental_variables(entity, SINCE)
    cost = requested_cost(admin_schema(), queries.incremental_query(entity), variables)
    # "well under": keep a margin for the fields Shopify prices above the default.
    assert cost <= 0.9 * MAX_QUERY_COST, cost
    assert cost > 0


def test_incremental_query_pages_by_updated_at():
    document = queries.incremental_query("customers")
    assert "sortKey: UPDATED_AT" in document
    assert "first: $first, after: $after, query: $query" in document
    assert queries.incremental_variables("customers", SINCE, "c1") == {
        "first": queries.INCREMENTAL_PAGE_SIZES["customers"],
        "after": "c1",
        "query": "updated_at:>='2026-11-30T12:00:00Z'",
    }


# --- the cost rule itself, on hand-computed documents --------------------------------


def test_cost_of_connection_is_two_plus_first_times_node():
    # node: Customer 1 + defaultAddress 1 = 2; connection: 2 + 10 × 2 = 22
    doc = "{ customers(first: 10) { edges { cursor node { id defaultAddress { city } } } } }"
    assert requested_cost(admin_schema(), doc) == 22


def test_cost_uses_variables_and_nodes_shorthand():
    doc = "query($n: Int!) { products(first: $n) { nodes { id variants(first: 3) { nodes { id } } } pageInfo { hasNextPage } } }"  # noqa: E501
    # product: 1 + (2 + 3 × 1) = 6; products: 2 + 4 × 6 = 26
    assert requested_cost(admin_schema(), doc, {"n": 4}) == 26


def test_cost_of_objects_scalars_and_mutations():
    assert requested_cost(admin_schema(), queries.SHOP_INFO) == 6
    assert requested_cost(admin_schema(), "{ shop { name } }") == 1
    assert requested_cost(admin_schema(), queries.METAFIELDS_SET) == 10


def test_connection_shape_counts_nested_connections():
    doc = "{ orders { edges { node { id lineItems { edges { node { id } } } } } } }"
    assert connection_shape(admin_schema(), doc) == (2, 2)
    assert connection_shape(admin_schema(), "{ shop { name } }") == (0, 0)


def test_variable_helpers():
    assert queries.topic_enum("orders/updated") == "ORDERS_UPDATED"
    assert queries.topic_enum("customer.tags_added") == "CUSTOMER_TAGS_ADDED"
    assert queries.topic_enum("customers_email_marketing_consent/update") == (
        "CUSTOMERS_EMAIL_MARKETING_CONSENT_UPDATE"
    )
    assert queries.webhook_subscription_create_variables("app/uninstalled", "https://x/y") == {
        "topic": "APP_UNINSTALLED",
        "uri": "https://x/y",
    }
    consent = queries.email_consent_variables("gid://shopify/Customer/1", "unsubscribed", SINCE)
    assert consent["input"]["emailMarketingConsent"] == {
        "marketingState": "UNSUBSCRIBED",
        "consentUpdatedAt": "2026-11-30T12:00:00+00:00",
    }
    with pytest.raises(ValueError):
        queries.sms_consent_variables("gid://shopify/Customer/1", "NOT_SUBSCRIBED")
    with pytest.raises(ValueError):
        queries.metafields_set_variables([{"key": str(i)} for i in range(26)])
    assert queries.bulk_run_variables("products")["query"] == queries.bulk_query("products")
