"""Shopify's wire protocol and nothing else: HTTP client, pacing, errors, GraphQL documents,
signing, domain rules, JSONL joining, scopes, topic tables and mapping. No database writes."""
