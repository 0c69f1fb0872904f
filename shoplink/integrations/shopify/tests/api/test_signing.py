"""Query-string and webhook HMACs against every recorded vector, plus the rejection rules."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest

from shoplink.integrations.shopify.api.signing import (
    query_hmac,
    verify_query_hmac,
    verify_webhook_hmac,
    webhook_hmac,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"
QUERY_VECTORS = json.loads((FIXTURES / "oauth_query_hmac_vectors.json").read_text())
WEBHOOK_VECTORS = json.loads((FIXTURES / "webhook_hmac_vectors.json").read_text())["vectors"]

SECRET = "test-secret"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _params(vector):
    if "raw_query" in vector:
        return parse_qsl(vector["raw_query"], keep_blank_values=True)
    return vector["params"]


def _body(vector) -> bytes:
    if "raw_body_hex" in vector:
        return bytes.fromhex(vector["raw_body_hex"])
    return vector["raw_body_utf8"].encode()


def _signed(params: dict, secret: str = SECRET) -> dict:
    return {**params, "hmac": query_hmac(params, secret)}


def _fresh(**extra) -> dict:
    return {
        "code": "abc",
        "shop": "some-shop.myshopify.com",
        "state": "n0nce",
        "timestamp": str(int(NOW.timestamp())),
        **extra,
    }


def test_vectors_file_is_not_empty():
    assert len(QUERY_VECTORS) >= 6
    assert len(WEBHOOK_VECTORS) >= 3


@pytest.mark.parametrize("vector", QUERY_VECTORS, ids=lambda v: v["name"])
def test_query_hmac_matches_every_vector(vector):
    assert query_hmac(_params(vector), vector["secret"]) == vector["expected_hmac_hex"]


@pytest.mark.parametrize(
    "vector", [v for v in QUERY_VECTORS if "raw_query" in v], ids=lambda v: v["name"]
)
def test_raw_query_vectors_verify_at_their_timestamp(vector):
    params = parse_qsl(vector["raw_query"])
    ts = int(dict(params)["timestamp"])
    assert verify_query_hmac(params, [vector["secret"]], now=ts)
    assert verify_query_hmac(dict(params), ["other", vector["secret"]], now=ts)
    assert not verify_query_hmac(params, ["wrong"], now=ts)


def test_array_vector_is_reproduced_but_never_verified():
    """Repeated keys are legacy-library behaviour; verification treats them as tampering."""
    vector = next(v for v in QUERY_VECTORS if "ids[]" in v.get("params", {}))
    pairs = [("shop", "some-shop.myshopify.com"), ("ids[]", "2"), ("ids[]", "1")]
    assert query_hmac(pairs, vector["secret"]) == vector["expected_hmac_hex"]
    signed = [*pairs, ("timestamp", "1"), ("hmac", query_hmac(pairs, vector["secret"]))]
    assert not verify_query_hmac(signed, [vector["secret"]], now=1)


def test_space_is_signed_as_percent_20_even_when_url_used_plus():
    params = _fresh(custom="hello world")
    url_query = urlencode(_signed(params))  # urlencode writes '+' for the space
    assert "+" in url_query
    assert verify_query_hmac(parse_qsl(url_query), [SECRET], now=NOW)


def test_every_parameter_is_signed_including_unknown_ones():
    params = _signed(_fresh(id_token="x.y.z", locale="fr", embedded="1"))
    assert verify_query_hmac(params, [SECRET], now=NOW)
    tampered = {**params, "locale": "de"}
    assert not verify_query_hmac(tampered, [SECRET], now=NOW)
    added = {**params, "extra": "1"}
    assert not verify_query_hmac(added, [SECRET], now=NOW)


def test_signature_param_is_excluded_like_hmac():
    params = _fresh()
    signed = {**params, "signature": "ignored", "hmac": query_hmac(params, SECRET)}
    assert verify_query_hmac(signed, [SECRET], now=NOW)


def test_previous_secret_accepted_during_rotation():
    params = _signed(_fresh(), secret="old-secret")
    assert verify_query_hmac(params, ["new-secret", "old-secret"], now=NOW)
    assert not verify_query_hmac(params, ["new-secret"], now=NOW)
    assert not verify_query_hmac(params, [], now=NOW)
    assert not verify_query_hmac(params, [""], now=NOW)


@pytest.mark.parametrize("offset", [-300, -1, 0, 1, 300])
def test_timestamp_inside_five_minutes_is_accepted(offset):
    params = _signed(_fresh(timestamp=str(int(NOW.timestamp()) + offset)))
    assert verify_query_hmac(params, [SECRET], now=NOW)


@pytest.mark.parametrize("offset", [-301, 301, -86400, 86400])
def test_stale_or_future_timestamp_is_rejected(offset):
    params = _signed(_fresh(timestamp=str(int(NOW.timestamp()) + offset)))
    assert not verify_query_hmac(params, [SECRET], now=NOW)


def test_custom_skew_and_datetime_or_epoch_now():
    params = _signed(_fresh())
    later = NOW + timedelta(seconds=100)
    assert verify_query_hmac(params, [SECRET], now=later)
    assert not verify_query_hmac(params, [SECRET], now=later, max_skew=90)
    assert verify_query_hmac(params, [SECRET], now=later.timestamp())


@pytest.mark.parametrize("timestamp", [None, "", "abc", "-5", "1.5", "１２３"])
def test_missing_or_malformed_timestamp_is_rejected(timestamp):
    params = _fresh()
    if timestamp is None:
        del params["timestamp"]
    else:
        params["timestamp"] = timestamp
    assert not verify_query_hmac(_signed(params), [SECRET], now=NOW)


def test_missing_or_uppercase_or_garbage_hmac_is_rejected():
    params = _fresh()
    assert not verify_query_hmac(params, [SECRET], now=NOW)
    assert not verify_query_hmac({**params, "hmac": ""}, [SECRET], now=NOW)
    upper = {**params, "hmac": query_hmac(params, SECRET).upper()}
    assert not verify_query_hmac(upper, [SECRET], now=NOW)
    assert not verify_query_hmac({**params, "hmac": "zz"}, [SECRET], now=NOW)


def test_repeated_keys_are_rejected():
    params = _fresh()
    good = query_hmac(params, SECRET)
    pairs = [*params.items(), ("shop", "evil.myshopify.com"), ("hmac", good)]
    assert not verify_query_hmac(pairs, [SECRET], now=NOW)
    twice_hmac = [*params.items(), ("hmac", good), ("hmac", good)]
    assert not verify_query_hmac(twice_hmac, [SECRET], now=NOW)
    once = [*params.items(), ("hmac", good)]
    assert verify_query_hmac(once, [SECRET], now=NOW)


def test_querydict_like_objects_are_supported():
    class FakeQueryDict(dict):
        def lists(self):
            return [(k, [v]) for k, v in self.items()]

    assert verify_query_hmac(FakeQueryDict(_signed(_fresh())), [SECRET], now=NOW)


@pytest.mark.parametrize("vector", WEBHOOK_VECTORS, ids=lambda v: v["name"])
def test_webhook_hmac_matches_every_vector(vector):
    body = _body(vector)
    assert body == vector["raw_body_utf8"].encode()
    expected = vector["expected_x_shopify_hmac_sha256"]
    assert webhook_hmac(body, vector["secret"]) == expected
    assert verify_webhook_hmac(body, expected, [vector["secret"]])
    assert verify_webhook_hmac(body, expected, ["rotated-new", vector["secret"]])
    assert not verify_webhook_hmac(body, expected, ["wrong"])


def test_reserialised_body_does_not_verify():
    compact, spaced = WEBHOOK_VECTORS[0], WEBHOOK_VECTORS[1]
    header = compact["expected_x_shopify_hmac_sha256"]
    assert json.loads(compact["raw_body_utf8"]) == json.loads(spaced["raw_body_utf8"])
    assert not verify_webhook_hmac(_body(spaced), header, [compact["secret"]])


@pytest.mark.parametrize("header", [None, "", "not-base64", "YWJj"])
def test_webhook_bad_header_is_rejected(header):
    assert not verify_webhook_hmac(b"{}", header, [SECRET])


def test_webhook_tampered_body_and_hex_digest_rejected():
    body = b'{"id":1}'
    header = webhook_hmac(body, SECRET)
    assert verify_webhook_hmac(body, header, [SECRET])
    assert not verify_webhook_hmac(b'{"id":2}', header, [SECRET])
    hex_digest = query_hmac({"a": "b"}, SECRET)
    assert not verify_webhook_hmac(body, hex_digest, [SECRET])
    assert not verify_webhook_hmac(body, header, [])
