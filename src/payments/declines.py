"""PAY-2: every way a card payment can be refused, in our own words, with what to do next.

One `Decline` per case. Its `code` is what providers' results are mapped to (stored in
Payment.failure_code) and is the stable error code of the API (`{"code": …}`, HTTP 402);
the page shows `message` followed by `next_step`. Provider adapters translate their own
codes to these keys (payments.providers.stripe.decline_from_stripe; the simulated
provider's test cards in payments.providers.simulated.TEST_CARDS).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from core.errors import DomainError


@dataclass(frozen=True)
class Decline:
    code: str
    what: str  # what happened (translatable: read it as .message)
    todo: str  # what the buyer can do now (translatable: read it as .next_step)
    status: int = 402
    appeal: bool = False  # PAY-3: the payment waits for a verification appeal

    @property
    def message(self) -> str:
        """What happened, in the active language."""
        return str(self.what)

    @property
    def next_step(self) -> str:
        """What the buyer can do now, in the active language."""
        return str(self.todo)

    @property
    def text(self) -> str:
        return f"{self.message} {self.next_step}"


def _bank(code: str) -> Decline:
    return Decline(
        code=f"bank_rejected_{code.lower()}",
        what=format_lazy(
            gettext_lazy("Your bank turned this payment down (bank code {code}). Only the bank "
            "can tell you exactly why."), code=code),
        todo=gettext_lazy("Call the number on the back of your card and quote the code, or pay with "
        "another card or payment method."),
    )


GENERIC = Decline(
    code="payment_failed",
    what=gettext_lazy("Your card was declined and nothing was charged."),
    todo=gettext_lazy("Check the card details, try another card, or contact your bank."),
)

CATALOGUE: dict[str, Decline] = {
    d.code: d
    for d in [
        Decline(
            code="insufficient_funds",
            what=gettext_lazy("There is not enough money on this card or account to cover the payment."),
            todo=gettext_lazy(
                "Add funds to the account and try again, or pay with another card or method."),
        ),
        _bank("CSC_7200022"),
        _bank("CSC_7200051"),
        _bank("CSC_7200001"),
        Decline(
            code="card_not_supported",
            what=gettext_lazy("This card cannot be used here, or some of its details did not match."),
            todo=gettext_lazy("Check the number, name and expiry you typed. If they are right, pay with "
            "another card or method."),
        ),
        Decline(
            code="verification_required",
            what=gettext_lazy("For your safety, this card payment has to be verified before it can go "
            "through. Your order now waits in “payment being verified”."),
            todo=gettext_lazy("Send us the documents we ask for from the order page; reviews usually "
            "take one to three working days."),
            appeal=True,
        ),
        Decline(
            code="incomplete_order_info",
            what=gettext_lazy(
                "Some information on the order is missing, so the payment could not be approved."),
            todo=gettext_lazy(
                "Make sure the shipping address has the recipient’s complete first and "
            "last name, then pay again."),
        ),
        Decline(
            code="expired_card",
            what=gettext_lazy("The expiry date does not match the card, or the card has expired."),
            todo=gettext_lazy(
                "Enter the expiry date exactly as printed on the card, ask your bank for a "
            "new card, or pay another way."),
        ),
        Decline(
            code="wrong_card_info",
            what=gettext_lazy("Some of the card information is not right."),
            todo=gettext_lazy("Type the card details again carefully and retry."),
        ),
        Decline(
            code="restricted_card",
            what=gettext_lazy("Your bank has put a restriction on this card."),
            todo=gettext_lazy(
                "Ask your bank to lift the restriction, or pay with another card or method."),
        ),
        Decline(
            code="currency_not_supported",
            what=gettext_lazy("This card cannot pay in the currency of this order."),
            todo=gettext_lazy("Switch the payment currency to USD (or another currency your card "
            "accepts) and try again."),
        ),
        Decline(
            code="over_limit",
            what=gettext_lazy("This payment is over the spending limit of your card or account."),
            todo=gettext_lazy(
                "Raise the limit with your bank and try again, or pay with another card or method."),
        ),
        Decline(
            code="wrong_cvv",
            what=gettext_lazy("The security code (CVV) did not match the card."),
            todo=gettext_lazy("Enter the three or four digits from the card again and retry."),
        ),
        GENERIC,
    ]
}

# PAY-2 cases (the generic fallback aside): the list the README and the tests walk through.
PAY2_CODES = [code for code in CATALOGUE if code != GENERIC.code]


def decline_get(code: str) -> Decline:
    """The catalogue entry for a stored failure code (unknown or empty → the generic decline)."""
    return CATALOGUE.get(code or "", GENERIC)


def decline_error(code: str, *, prefix: str = "") -> DomainError:
    """The one error shape for a refused payment: code, message with the next step, 402."""
    decline = decline_get(code)
    return DomainError(
        (prefix + " " if prefix else "") + decline.text,
        code=decline.code,
        fields={"token": [str(decline.message)]},
        status=decline.status,
    )
