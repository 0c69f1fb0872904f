"""Store-domain normalisation (D5) and the OAuth ``shop`` parameter check."""

import pytest

from shoplink.integrations.shopify.api.domain import (
    MSG_HYPHEN_EDGE,
    MSG_INVALID_FORMAT,
    MSG_REQUIRED,
    MSG_TOO_LONG,
    MSG_TOO_SHORT,
    StoreDomainError,
    is_valid_shop_param,
    normalize_store_domain,
    validate_store_domain,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("my-shop", "my-shop.myshopify.com"),
        ("my-shop.myshopify.com", "my-shop.myshopify.com"),
        ("  My-Shop.MyShopify.com  ", "my-shop.myshopify.com"),
        ("https://my-shop.myshopify.com/", "my-shop.myshopify.com"),
        ("http://my-shop.myshopify.com/admin/products?x=1", "my-shop.myshopify.com"),
        ("my-shop.myshopify.com?foo=bar", "my-shop.myshopify.com"),
        ("my-shop.myshopify.com#frag", "my-shop.myshopify.com"),
        ("https://admin.shopify.com/store/my-shop", "my-shop.myshopify.com"),
        ("admin.shopify.com/store/my-shop/products/123", "my-shop.myshopify.com"),
        ("ADMIN.SHOPIFY.COM/STORE/Shop1234", "shop1234.myshopify.com"),
        ("abcd", "abcd.myshopify.com"),
        ("a" * 60, "a" * 60 + ".myshopify.com"),
        ("1234", "1234.myshopify.com"),
    ],
)
def test_valid_inputs_normalise_to_myshopify_domain(raw, expected):
    assert validate_store_domain(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", MSG_REQUIRED),
        ("   ", MSG_REQUIRED),
        (None, MSG_REQUIRED),
        ("https://", MSG_REQUIRED),
        ("/path-only", MSG_REQUIRED),
        ("shop.example.com", MSG_INVALID_FORMAT),
        ("my shop", MSG_INVALID_FORMAT),
        ("my_shop", MSG_INVALID_FORMAT),
        ("my.shop.myshopify.com", MSG_INVALID_FORMAT),
        ("my-shop.myshopify.com:443", MSG_INVALID_FORMAT),
        ("user@my-shop.myshopify.com", MSG_INVALID_FORMAT),
        ("ab_", MSG_INVALID_FORMAT),  # format beats length
        ("abc", MSG_TOO_SHORT),
        ("abc.myshopify.com", MSG_TOO_SHORT),  # length counts the name only
        ("-ab", MSG_TOO_SHORT),  # length beats hyphen
        ("a" * 61, MSG_TOO_LONG),
        ("-" + "a" * 60, MSG_TOO_LONG),  # length beats hyphen
        ("-shop", MSG_HYPHEN_EDGE),
        ("shop-", MSG_HYPHEN_EDGE),
        ("-shop-.myshopify.com", MSG_HYPHEN_EDGE),
    ],
)
def test_invalid_inputs_raise_first_failing_rule(raw, message):
    with pytest.raises(StoreDomainError) as excinfo:
        validate_store_domain(raw)
    assert excinfo.value.message == message
    assert str(excinfo.value) == message


def test_messages_are_exactly_the_d5_texts():
    assert [MSG_REQUIRED, MSG_INVALID_FORMAT, MSG_TOO_SHORT, MSG_TOO_LONG, MSG_HYPHEN_EDGE] == [
        "Store domain is required",
        "Invalid store domain format",
        "Store name must be at least 4 characters",
        "Store name cannot exceed 60 characters",
        "Store name cannot start or end with a hyphen",
    ]


def test_normalize_keeps_suffix_and_drops_scheme_and_path():
    assert normalize_store_domain(" HTTPS://Shop.myshopify.com/x ") == "shop.myshopify.com"
    assert normalize_store_domain("admin.shopify.com/store/handle") == "handle"


@pytest.mark.parametrize(
    "shop",
    ["some-shop.myshopify.com", "a.myshopify.com", "0shop.myshopify.com", "a-b-c.myshopify.com"],
)
def test_shop_param_accepts_bare_myshopify_hosts(shop):
    assert is_valid_shop_param(shop)


@pytest.mark.parametrize(
    "shop",
    [
        "evil.com/x.myshopify.com",
        "x.myshopify.com.evil.test",
        "x.myshopify.com/",
        "x.myshopify.com/admin",
        "https://x.myshopify.com",
        "x.myshopify.com%2F.evil.test",
        "evil.com%2Fx.myshopify.com",
        "x%2Emyshopify%2Ecom",
        "X.myshopify.com",
        "x.MYSHOPIFY.com",
        "x.myshopify.com\n",
        "\nx.myshopify.com",
        " x.myshopify.com",
        "x.myshopify.com ",
        "x .myshopify.com",
        "-x.myshopify.com",
        "x_y.myshopify.com",
        ".myshopify.com",
        "myshopify.com",
        "x.myshopifyxcom",
        "x.shopify.com",
        "x.myshopify.io",
        "x.myshopify.com@evil.test",
        "xn--shop-é.myshopify.com",
        "",
        None,
        123,
    ],
)
def test_shop_param_rejects_everything_else(shop):
    assert not is_valid_shop_param(shop)
