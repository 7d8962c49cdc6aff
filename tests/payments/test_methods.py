"""PAY-4: the payment method catalogue — availability per delivery country and currency, where
each method's refunds go, immediate vs later confirmation, and bad input."""

import datetime as dt

import pytest

from core.errors import DomainError
from orders.models import Order
from orders.services import checkout_pay, order_close
from orders.states import Actor, CloseReason, State
from payments import methods
from payments.models import Payment, Refund, RefundCoupon, SimulatedCharge
from payments.services import payment_mark_received
from tests.factories import AddressFactory, StoreFactory
from tests.payments.conftest import T0, place, sellable
from tests.tasks import run_pending_tasks

NOW = T0 + dt.timedelta(hours=1)

# PAY-4 as the seed states it: method → refund destination.
EXPECTED_DESTINATION = {
    "card": "original",
    "paypal": "original",
    "ideal": "original",
    "giropay": "original",
    "payu": "original",
    "przelewy24": "original",
    "sofort": "original",
    "bancontact": "original",
    "mercadopago": "original",
    "oney": "original",
    "cash": "balance",
    "bank_transfer": "balance",
    "boleto": "balance",
    "western_union": "balance",
    "cod": "coupon",
}
# A delivery country and currency where each method is offered.
WHERE = {
    "card": ("US", "USD"),
    "paypal": ("US", "USD"),
    "ideal": ("NL", "EUR"),
    "giropay": ("DE", "EUR"),
    "payu": ("PL", "PLN"),
    "przelewy24": ("PL", "PLN"),
    "sofort": ("DE", "EUR"),
    "bancontact": ("BE", "EUR"),
    "mercadopago": ("MX", "MXN"),
    "oney": ("FR", "EUR"),
    "cash": ("US", "USD"),
    "bank_transfer": ("US", "USD"),
    "boleto": ("BR", "BRL"),
    "western_union": ("US", "USD"),
    "cod": ("SA", "SAR"),
}


def checkout_in(buyer, country: str, currency: str, *, price=2500, key="k1"):
    address = AddressFactory(user=buyer, country=country)
    return place(buyer, address, sellable(StoreFactory(currency=currency), price=price), key=key)


def test_PAY_4_catalogue_refund_destinations_match_the_rule():
    assert {code: m.refund_destination for code, m in methods.METHODS.items()} == EXPECTED_DESTINATION
    assert all(m.label for m in methods.METHODS.values())


@pytest.mark.parametrize(
    "code, allowed, refused",
    [
        ("cod", "SA", "US"),
        ("oney", "FR", "DE"),
        ("boleto", "BR", "MX"),
        ("ideal", "NL", "BE"),
        ("przelewy24", "PL", "DE"),
        ("bancontact", "BE", "NL"),
        ("mercadopago", "MX", "US"),
        ("mercadopago", "BR", "FR"),
    ],
)
def test_PAY_4_local_methods_are_offered_only_in_their_countries(code, allowed, refused):
    currency = WHERE[code][1] if code != "mercadopago" or allowed == "MX" else "BRL"
    available = {m.code for m in methods.methods_available(country=allowed, currency=currency)}
    assert code in available
    assert code not in {m.code for m in methods.methods_available(country=refused, currency=currency)}
    assert {"card", "paypal"} <= available  # offered everywhere


def test_PAY_4_immediate_methods_pay_and_record_the_method(buyer):
    for i, code in enumerate(["paypal", "ideal", "mercadopago"]):
        country, currency = WHERE[code]
        checkout = checkout_in(buyer, country, currency, key=f"c{i}")
        [payment] = checkout_pay(checkout=checkout, token="", idempotency_key=f"p{i}", now=NOW, method=code)
        assert payment.state == Payment.State.SUCCEEDED and payment.method == code
        assert payment.provider == "simulated"
        assert set(checkout.orders.values_list("state", flat=True)) == {State.AWAITING_SHIPMENT}


@pytest.mark.parametrize("code", ["bank_transfer", "cash", "boleto", "western_union"])
def test_PAY_4_later_methods_stay_in_payment_processing_until_the_money_arrives(buyer, code):
    country, currency = WHERE[code]
    checkout = checkout_in(buyer, country, currency)
    [payment] = checkout_pay(checkout=checkout, token="", idempotency_key="p", now=NOW, method=code)
    assert payment.state == Payment.State.PROCESSING and payment.method == code
    run_pending_tasks()  # no webhook comes by itself: the buyer has not paid yet
    order = checkout.orders.get()
    assert order.state == State.PAYMENT_PROCESSING and order.paid_at is None
    payment = payment_mark_received(payment=payment, now=NOW + dt.timedelta(days=1))
    order.refresh_from_db()
    assert payment.state == Payment.State.SUCCEEDED
    assert order.state == State.AWAITING_SHIPMENT and order.paid_at is not None
    assert SimulatedCharge.objects.get(ref=payment.provider_ref).status == "succeeded"


def test_PAY_4_mark_received_refuses_a_card_payment(buyer):
    checkout = checkout_in(buyer, "US", "USD")
    [payment] = checkout_pay(checkout=checkout, token="tok_success", idempotency_key="p", now=NOW)
    with pytest.raises(DomainError) as error:
        payment_mark_received(payment=payment, now=NOW)
    assert error.value.code == "not_offline_payment"


def test_PAY_4_cash_on_delivery_proceeds_to_shipment(buyer):
    checkout = checkout_in(buyer, "SA", "SAR")
    [payment] = checkout_pay(checkout=checkout, token="", idempotency_key="p", now=NOW, method="cod")
    assert payment.state == Payment.State.SUCCEEDED
    assert checkout.orders.get().state == State.AWAITING_SHIPMENT


@pytest.mark.parametrize("code", list(EXPECTED_DESTINATION))
def test_RFD_1_a_closed_order_refunds_where_its_method_says(buyer, code):
    country, currency = WHERE[code]
    checkout = checkout_in(buyer, country, currency)
    token = "tok_success" if code == "card" else ""
    [payment] = checkout_pay(checkout=checkout, token=token, idempotency_key="p", now=NOW, method=code)
    if payment.state == Payment.State.PROCESSING:
        payment_mark_received(payment=payment, now=NOW)
    order = checkout.orders.get()
    order_close(
        order=order,
        actor=Actor.SYSTEM,
        close_reason=CloseReason.SELLER_SHIP_TIMEOUT,
        now=NOW + dt.timedelta(days=10),
    )
    run_pending_tasks()
    [refund] = Refund.objects.filter(order=order)
    assert refund.destination == EXPECTED_DESTINATION[code]
    assert refund.amount_minor == order.total_minor and refund.payment_id == payment.pk
    assert refund.state == Refund.State.SUCCEEDED
    if code == "cod":
        coupon = RefundCoupon.objects.get(refund=refund)
        assert (coupon.owner, coupon.amount_minor, coupon.currency) == (buyer, order.total_minor, currency)
        assert coupon.code.startswith("RF-")
    else:
        assert not RefundCoupon.objects.filter(refund=refund).exists()


# --- bad input: nothing changes -------------------------------------------------------------------


def _nothing_changed(checkout):
    assert not Payment.objects.filter(checkout=checkout).exists()
    assert set(checkout.orders.values_list("state", flat=True)) == {State.AWAITING_PAYMENT}


def test_PAY_4_unknown_method_is_a_field_error(buyer):
    checkout = checkout_in(buyer, "US", "USD")
    with pytest.raises(DomainError) as error:
        checkout_pay(checkout=checkout, token="", idempotency_key="p", now=NOW, method="bitcoin")
    assert error.value.code == "unknown_method" and "method" in error.value.fields
    _nothing_changed(checkout)


@pytest.mark.parametrize("code", ["cod", "oney", "boleto", "ideal"])
def test_PAY_4_method_not_available_in_the_country_is_refused(buyer, code):
    checkout = checkout_in(buyer, "US", "USD")
    with pytest.raises(DomainError) as error:
        checkout_pay(checkout=checkout, token="", idempotency_key="p", now=NOW, method=code)
    assert error.value.code == "method_not_available" and "method" in error.value.fields
    assert error.value.status == 422
    _nothing_changed(checkout)
    assert Order.objects.filter(checkout=checkout).count() == 1


def test_PAY_4_a_bank_transfer_that_never_arrives_closes_its_orders_after_the_window(buyer):
    from core.calendar import add_business_days
    from core.policy import policy
    from deadlines.worker import deadlines_fire_due

    checkout = checkout_in(buyer, "US", "USD")
    [payment] = checkout_pay(
        checkout=checkout, token="", idempotency_key="p", now=NOW, method="bank_transfer"
    )
    due = add_business_days(NOW, policy.offline_payment_window)
    deadlines_fire_due(now=due - dt.timedelta(minutes=1))
    assert checkout.orders.get().state == State.PAYMENT_PROCESSING  # not yet
    deadlines_fire_due(now=due)
    order = checkout.orders.get()
    payment.refresh_from_db()
    assert payment.state == Payment.State.FAILED
    assert (order.state, order.close_reason) == (State.CLOSED, CloseReason.PAYMENT_TIMEOUT)
    assert not Refund.objects.filter(order=order).exists()  # nothing was paid


def test_PAY_4_a_received_bank_transfer_is_not_expired_later(buyer):
    from deadlines.worker import deadlines_fire_due

    checkout = checkout_in(buyer, "US", "USD")
    [payment] = checkout_pay(
        checkout=checkout, token="", idempotency_key="p", now=NOW, method="bank_transfer"
    )
    payment_mark_received(payment=payment, now=NOW + dt.timedelta(days=1))
    deadlines_fire_due(now=NOW + dt.timedelta(days=30))
    assert checkout.orders.get().state in (State.AWAITING_SHIPMENT, State.CLOSED)
    payment.refresh_from_db()
    assert payment.state == Payment.State.SUCCEEDED


def test_PAY_4_staff_mark_a_bank_transfer_received_in_the_back_office(buyer, admin_client):
    import time_machine

    from core.models import AuditLog

    checkout = checkout_in(buyer, "US", "USD")
    [payment] = checkout_pay(
        checkout=checkout, token="", idempotency_key="p", now=NOW, method="bank_transfer"
    )
    card_checkout = checkout_in(buyer, "US", "USD", key="k2")
    [card] = checkout_pay(checkout=card_checkout, token="tok_success", idempotency_key="c", now=NOW)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        response = admin_client.post(
            "/admin/payments/payment/",
            {"action": "payment_mark_received_action", "_selected_action": [payment.pk, card.pk]},
            follow=True,
        )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Payment {payment.pk}: the money was received" in page
    assert f"Payment {card.pk}: Only a bank transfer" in page
    payment.refresh_from_db()
    assert payment.state == Payment.State.SUCCEEDED
    assert checkout.orders.get().state == State.AWAITING_SHIPMENT
    assert AuditLog.objects.filter(action="payment_mark_received", data__payment=payment.pk).exists()
