"""Money (core.money): integer minor units + ISO currency, conversion and display.

# RULE CAT-1 prices have a currency; # RULE CAT-2 price filters compare in US cents
# (to_usd_minor). # RULE RFD-1 refund amounts are exact minor-unit sums.
"""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.money import (
    Money,
    UnknownCurrency,
    convert,
    currencies,
    currency_choices,
    format_money,
    get_currency,
    to_usd_minor,
)

NBSP, NNBSP = "\u00a0", "\u202f"
CODES = sorted(currencies())


# --- construction ------------------------------------------------------------------------


def test_amount_is_minor_units():
    price = Money(123450, "USD")
    assert price.amount == 123450
    assert price.decimal == Decimal("1234.50")


def test_zero_decimal_currency_has_no_minor_unit():
    assert get_currency("VND").exponent == 0
    assert Money(25400, "VND").decimal == Decimal(25400)


@pytest.mark.parametrize("amount", [12.5, "1250", Decimal("12.50"), None, True])
def test_amount_must_be_an_int(amount):
    with pytest.raises(TypeError):
        Money(amount, "USD")


@pytest.mark.parametrize("code", ["XXX", "usd", "", "US", "DOLLARS"])
def test_unknown_currency_is_refused(code):
    with pytest.raises(UnknownCurrency) as info:
        Money(100, code)
    assert info.value.code == code
    assert isinstance(info.value, ValueError)


def test_supported_currencies_include_the_buyer_markets():
    assert {"USD", "EUR", "GBP", "RUB", "BRL", "MXN", "SAR", "AED", "UAH", "PLN", "TRY"} <= set(
        currencies()
    )
    assert all(len(code) == 3 and code.isupper() for code in currencies())
    assert ("EUR", "EUR — Euro") in currency_choices()


# --- arithmetic --------------------------------------------------------------------------


def test_add_and_subtract_same_currency():
    assert Money(1050, "EUR") + Money(250, "EUR") == Money(1300, "EUR")
    assert Money(1050, "EUR") - Money(2000, "EUR") == Money(-950, "EUR")
    assert Money(1050, "EUR") * 3 == Money(3150, "EUR")


def test_adding_different_currencies_is_refused():
    with pytest.raises(ValueError, match="USD with EUR"):
        Money(100, "USD") + Money(100, "EUR")
    with pytest.raises(ValueError):
        Money(100, "USD") - Money(100, "EUR")


def test_comparing_different_currencies_is_refused():
    assert Money(100, "USD") < Money(200, "USD")
    assert max([Money(5, "GBP"), Money(9, "GBP"), Money(7, "GBP")]) == Money(9, "GBP")
    with pytest.raises(ValueError):
        _ = Money(100, "USD") < Money(200, "EUR")
    with pytest.raises(ValueError):
        _ = Money(100, "USD") >= Money(200, "EUR")
    assert Money(100, "USD") != Money(100, "EUR")


def test_multiplying_by_a_fraction_is_refused():
    with pytest.raises(TypeError):
        Money(100, "USD") * 1.5
    with pytest.raises(TypeError):
        Money(100, "USD") + 5


# --- from_decimal --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("24.50", "USD", 2450),
        (Decimal("1.005"), "USD", 101),  # half-up, not banker's rounding
        ("0.125", "EUR", 13),
        ("0.124", "EUR", 12),
        ("-0.125", "EUR", -13),  # half away from zero
        ("25400.5", "VND", 25401),
        (7, "USD", 700),
        (" 3.10 ", "GBP", 310),
    ],
)
def test_from_decimal_rounds_half_up(value, currency, minor):
    assert Money.from_decimal(value, currency) == Money(minor, currency)


def test_from_decimal_refuses_floats():
    # 1.005 as a float is 1.00499999…: it would silently round to 1.00.
    with pytest.raises(TypeError):
        Money.from_decimal(1.005, "USD")


@pytest.mark.parametrize("value", ["", "abc", "1,50", "NaN", "Infinity", "1e40", None])
def test_from_decimal_refuses_non_amounts(value):
    with pytest.raises(ValueError):
        Money.from_decimal(value, "USD")


def test_from_decimal_unknown_currency():
    with pytest.raises(UnknownCurrency):
        Money.from_decimal("1.00", "ABC")


# --- conversion --------------------------------------------------------------------------


def test_same_currency_conversion_is_identity():
    price = Money(999, "EUR")
    assert convert(price, "EUR") is price


def test_conversion_uses_reference_rates():
    assert Money(10000, "USD").convert("EUR") == Money(9200, "EUR")
    assert Money(100, "USD").convert("VND") == Money(25400, "VND")
    assert Money(9200, "EUR").convert("USD") == Money(10000, "USD")


def test_conversion_rounds_half_up():
    # 150 US cents × 0.79 = 118.5 pence → 119 (banker's rounding would give 118).
    assert Money(150, "USD").convert("GBP") == Money(119, "GBP")
    assert Money(-150, "USD").convert("GBP") == Money(-119, "GBP")
    # 50 × 0.79 = 39.5 → 40
    assert Money(50, "USD").convert("GBP") == Money(40, "GBP")


def test_conversion_to_unknown_currency_is_refused():
    with pytest.raises(UnknownCurrency):
        Money(100, "USD").convert("XYZ")


def test_to_usd_minor():
    assert to_usd_minor(9200, "EUR") == 10000
    assert to_usd_minor(0, "RUB") == 0
    with pytest.raises(UnknownCurrency):
        to_usd_minor(100, "ZZZ")


amounts = st.integers(min_value=-(10**12), max_value=10**12)


@settings(deadline=None)
@given(amount=amounts, source=st.sampled_from(CODES), target=st.sampled_from(CODES))
def test_property_conversion_gives_integer_money(amount, source, target):
    result = Money(amount, source).convert(target)
    assert type(result.amount) is int
    assert result.currency == target


@settings(deadline=None)
@given(amount=amounts, source=st.sampled_from(CODES), target=st.sampled_from(CODES))
def test_property_round_trip_stays_within_rounding_bounds(amount, source, target):
    back = Money(amount, source).convert(target).convert(source)
    a, b = get_currency(source), get_currency(target)
    # Each conversion rounds by at most half a minor unit of its target; the first
    # error is scaled back by the rate between the two minor units.
    scale = (a.units_per_usd / b.units_per_usd) * Decimal(10) ** (a.exponent - b.exponent)
    assert abs(back.amount - amount) <= Decimal("0.5") + Decimal("0.5") * scale


@settings(deadline=None)
@given(x=amounts, y=amounts, currency=st.sampled_from(CODES))
def test_property_to_usd_minor_is_monotonic(x, y, currency):
    low, high = sorted((x, y))
    assert to_usd_minor(low, currency) <= to_usd_minor(high, currency)


@settings(deadline=None)
@given(amount=st.integers(min_value=0, max_value=10**9), currency=st.sampled_from(CODES))
def test_property_from_decimal_inverts_decimal(amount, currency):
    price = Money(amount, currency)
    assert Money.from_decimal(price.decimal, currency) == price
    assert Money.from_decimal(str(price.decimal), currency) == price


# --- display ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "money", "text"),
    [
        ("en_US", Money(123450, "USD"), "$1,234.50"),
        ("de_DE", Money(123450, "EUR"), f"1.234,50{NBSP}€"),
        ("fr_FR", Money(123450, "EUR"), f"1{NNBSP}234,50{NBSP}€"),
        ("ru_RU", Money(123450, "RUB"), f"1{NBSP}234,50{NBSP}₽"),
        ("pt_BR", Money(123450, "BRL"), f"R${NBSP}1.234,50"),
        ("en_GB", Money(123450, "GBP"), "£1,234.50"),
        ("en_US", Money(-123450, "USD"), "-$1,234.50"),
        ("en_US", Money(1000, "VND"), "₫1,000"),
        ("de_DE", Money(5, "EUR"), f"0,05{NBSP}€"),
    ],
)
def test_format_per_locale(locale, money, text):
    assert format_money(money, locale) == text


def test_format_accepts_browser_style_and_unknown_locales():
    assert format_money(Money(123450, "USD"), "en-US") == "$1,234.50"
    assert format_money(Money(123450, "USD"), "xx_YY") == "$1,234.50"
    assert format_money(Money(123450, "USD"), "") == "$1,234.50"
    assert format_money(Money(123450, "EUR"), "de") == f"1.234,50{NBSP}€"


def test_str_and_format_method():
    assert str(Money(250, "USD")) == "$2.50"
    assert Money(250, "EUR").format("de_DE") == f"2,50{NBSP}€"
