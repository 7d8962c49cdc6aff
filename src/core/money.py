"""Money: integer minor units with an ISO 4217 currency.

Amounts are never floats. Conversion uses the reference rates in
data/currencies.json and rounds half-up to the target's minor unit.
Display is per locale through Babel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from babel.numbers import format_currency

_DATA = Path(__file__).resolve().parent / "data" / "currencies.json"


class UnknownCurrency(ValueError):
    def __init__(self, code: str):
        super().__init__(f"Unknown or unsupported currency: {code!r}")
        self.code = code


@dataclass(frozen=True)
class Currency:
    code: str
    name: str
    exponent: int
    units_per_usd: Decimal


@cache
def currencies() -> dict[str, Currency]:
    raw = json.loads(_DATA.read_text())["currencies"]
    return {
        code: Currency(code, c["name"], int(c["exponent"]), Decimal(c["units_per_usd"]))
        for code, c in raw.items()
    }


def currency_choices() -> list[tuple[str, str]]:
    return [(c.code, f"{c.code} — {c.name}") for c in currencies().values()]


def get_currency(code: str) -> Currency:
    try:
        return currencies()[code]
    except KeyError:
        raise UnknownCurrency(code) from None


@dataclass(frozen=True)
class Money:
    """An amount in minor units (cents) of one currency.

    Adding, subtracting and comparing (<, <=, >, >=) need the same currency;
    mixing currencies raises ValueError instead of comparing bare numbers.
    """

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount is an integer number of minor units")
        get_currency(self.currency)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by an integer quantity")
        return Money(self.amount * factor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot combine Money with {type(other).__name__}")
        if self.currency != other.currency:
            raise ValueError(f"Cannot combine {self.currency} with {other.currency}")

    @property
    def decimal(self) -> Decimal:
        exponent = get_currency(self.currency).exponent
        return Decimal(self.amount).scaleb(-exponent)

    @classmethod
    def from_decimal(cls, value: Decimal | str | int, currency: str) -> Money:
        """Major units (Decimal, decimal text or int) to minor units, rounding half-up.

        Floats are refused: 1.005 as a float is 1.00499999… and would round the wrong way.
        """
        if isinstance(value, float):
            raise TypeError("Money.from_decimal takes a Decimal or text, never a float")
        exponent = get_currency(currency).exponent
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except (InvalidOperation, TypeError):
            raise ValueError(f"Not an amount: {value!r}") from None
        if not number.is_finite():
            raise ValueError(f"Not an amount: {value!r}")
        try:
            minor = number.scaleb(exponent).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        except InvalidOperation:  # more digits than the decimal context holds
            raise ValueError(f"Amount too large: {value!r}") from None
        return cls(int(minor), currency)

    def convert(self, to: str) -> Money:
        return convert(self, to)

    def format(self, locale: str = "en_US") -> str:
        return format_money(self, locale)

    def __str__(self) -> str:
        return format_money(self, "en_US")


def convert(money: Money, to: str) -> Money:
    """Convert with the reference rates, rounding half-up to the target's minor unit."""
    if money.currency == to:
        return money
    source, target = get_currency(money.currency), get_currency(to)
    usd = money.decimal / source.units_per_usd
    return Money.from_decimal(usd * target.units_per_usd, to)


def to_usd_minor(amount: int, currency: str) -> int:
    """The amount in US cents, used to filter and sort prices across currencies."""
    return convert(Money(amount, currency), "USD").amount


def format_money(money: Money, locale: str = "en_US") -> str:
    babel_locale = (locale or "en_US").replace("-", "_")
    try:
        return format_currency(money.decimal, money.currency, locale=babel_locale)
    except Exception:  # unknown locale string from a browser header
        return format_currency(money.decimal, money.currency, locale="en_US")
