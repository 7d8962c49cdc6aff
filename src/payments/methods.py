"""The payment method catalogue (PAY-4): what a buyer may pay with, where, and where its
refunds go.

Each method has a label, a refund destination (RFD-1), the delivery countries it is
offered for (empty: everywhere) and how its payment confirms:

- IMMEDIATE: the provider answers at once (card, PayPal, the local bank methods).
- LATER: the buyer pays outside the site (bank transfer, cash at a shop, Boleto, Western
  Union). The orders wait in "payment processing" until the provider's signed webhook
  says the money arrived (`payment_mark_received` sends it for the simulated provider;
  staff use it when they see the money).
- ON_DELIVERY: cash on delivery. Our choice: the order is treated as paid when placed
  (the carrier collects the cash for the provider and the provider guarantees it), so it
  proceeds to shipment at once and its money is held in escrow like any other; a refund
  becomes a coupon because there is no account to return cash to.

The buyer's platform balance ("balance") is not a method of this list: it is spent next
to one (see payments.services.balance_spend).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from core.errors import DomainError
from payments.models import Refund

IMMEDIATE = "immediate"
LATER = "later"
ON_DELIVERY = "on_delivery"

BALANCE = "balance"  # Payment.method of the part paid from the buyer's platform balance

Destination = Refund.Destination


@dataclass(frozen=True)
class PaymentMethod:
    code: str
    label: str
    refund_destination: str
    confirms: str = IMMEDIATE
    countries: frozenset[str] = frozenset()  # empty: every delivery country
    currencies: frozenset[str] = frozenset()  # empty: every currency
    hint: str = ""

    def available_for(self, *, country: str, currency: str) -> bool:
        return (not self.countries or country in self.countries) and (
            not self.currencies or currency in self.currencies
        )

    @property
    def refund_destination_label(self) -> str:
        return Destination(self.refund_destination).label


def _m(code, label, destination, confirms=IMMEDIATE, countries=(), currencies=(), hint=""):
    return PaymentMethod(
        code, label, destination, confirms, frozenset(countries), frozenset(currencies), hint
    )


_ORIGINAL, _BALANCE, _COUPON = Destination.ORIGINAL, Destination.BALANCE, Destination.COUPON
_WAITS = gettext_lazy("the order waits until the money arrives.")

METHODS: dict[str, PaymentMethod] = {
    m.code: m
    for m in [
        _m("card", gettext_lazy("Card"), _ORIGINAL),
        _m("paypal", "PayPal", _ORIGINAL, hint=gettext_lazy(
            "You confirm the payment in your PayPal account.")),
        _m("ideal", "iDEAL", _ORIGINAL, countries=["NL"], currencies=["EUR"]),
        _m("giropay", "Giropay", _ORIGINAL, countries=["DE"], currencies=["EUR"]),
        _m("payu", "PayU", _ORIGINAL, countries=["PL", "CZ", "RO", "HU", "IN", "TR"]),
        _m("przelewy24", "Przelewy24", _ORIGINAL, countries=["PL"], currencies=["PLN", "EUR"]),
        _m("sofort", "Sofort", _ORIGINAL, countries=["DE", "AT", "BE", "NL", "IT", "ES"], currencies=["EUR"]),
        _m("bancontact", "Bancontact", _ORIGINAL, countries=["BE"], currencies=["EUR"]),
        _m("mercadopago", "Mercado Pago", _ORIGINAL, countries=["MX", "BR"]),
        _m("oney", gettext_lazy("Oney (pay in instalments)"), _ORIGINAL, countries=["FR"],
           currencies=["EUR"]),
        _m("cash", gettext_lazy("Cash payment at a partner shop"), _BALANCE, LATER,
           hint=format_lazy(
               gettext_lazy("Pay at the counter with the reference we give you; {WAITS}"), WAITS=_WAITS)),
        _m("bank_transfer", gettext_lazy("Bank transfer"), _BALANCE, LATER,
           hint=format_lazy(
               gettext_lazy("Transfer the amount with the reference we give you; {WAITS}"), WAITS=_WAITS)),
        _m("boleto", "Boleto", _BALANCE, LATER, countries=["BR"],
           hint=format_lazy(gettext_lazy("Pay the Boleto slip at a bank or online; {WAITS}"), WAITS=_WAITS)),
        _m("western_union", "Western Union", _BALANCE, LATER,
           hint=gettext_lazy(
               "Send the money with the reference we give you; the order waits until it arrives.")),
        _m("cod", gettext_lazy("Cash on delivery"), _COUPON, ON_DELIVERY, countries=["SA"],
           hint=gettext_lazy("You pay the courier when the parcel arrives.")),
    ]
}


def method_get(code: str) -> PaymentMethod:
    """The method called `code`; an unknown one is a field error (422)."""
    method = METHODS.get(code or "")
    if method is None:
        message = gettext("Unknown payment method. Choose one of: %(choices)s.") % {
            "choices": ", ".join(METHODS)}
        raise DomainError(message, code="unknown_method", fields={"method": [message]}, status=422)
    return method


def methods_available(*, country: str, currency: str) -> list[PaymentMethod]:
    """The methods offered for a delivery country and a currency, in catalogue order."""
    return [m for m in METHODS.values() if m.available_for(country=country, currency=currency)]


def method_check(*, code: str, country: str, currency: str) -> PaymentMethod:
    """The method, if it may pay in `currency` for a delivery to `country` (PAY-4)."""
    method = method_get(code)
    if not method.available_for(country=country, currency=currency):
        message = f"{method.label} is not available for a delivery to {country} paid in {currency}."
        raise DomainError(message, code="method_not_available", fields={"method": [message]}, status=422)
    return method


def refund_destination_of(code: str) -> str:
    """RFD-1: where a refund of a payment made with `code` goes (the balance part: the balance)."""
    if code == BALANCE:
        return Destination.BALANCE
    method = METHODS.get(code)
    return method.refund_destination if method else Destination.ORIGINAL
