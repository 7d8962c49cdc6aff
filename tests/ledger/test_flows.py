"""Money flows through the real services: capture at payment, refunds drawn from escrow,
release to the seller minus commission when buyer protection ends.
RULE RFD-1, RULE BP-2, RULE PAY-4, RULE PAY-5."""

import datetime as dt

import pytest

from core.errors import Conflict, DomainError
from deadlines.worker import deadlines_fire_due
from ledger import services as ledger
from ledger.models import Account, Transaction
from ledger.selectors import ledger_problems, order_ledger, seller_balances
from ledger.services import commission_of, ledger_refund, ledger_refund_failed, ledger_release_order
from orders.models import Order
from orders.services import checkout_pay, order_close, order_mark_shipped
from orders.states import Actor, CloseReason, State
from payments.models import Payment, Refund
from payments.providers.simulated import SUCCESS_TOKEN
from payments.services import refund_order_amount
from tests.ledger.conftest import T0, place_and_pay

pytestmark = pytest.mark.django_db
K = Account.Kind
SECOND = dt.timedelta(seconds=1)


def balance(kind, **owner):
    account = Account.objects.filter(kind=kind, **owner).first()
    return account.balance_minor if account else 0


def refund(order, amount, key, **kwargs):
    return refund_order_amount(order=order, amount_minor=amount, reason="Partial refund", event_key=key,
                               now=T0 + SECOND, **kwargs)


def ship(order, now):
    return order_mark_shipped(order=order, seller=order.store.owner, carrier="Thailand Post",
                              tracking_number="TH123", now=now)


def end_protection(order):
    shipped = ship(order, T0 + dt.timedelta(days=1))
    deadlines_fire_due(now=shipped.protection_ends_at + SECOND)
    return Order.objects.get(pk=order.pk)


# --- capture -------------------------------------------------------------------------------------


def test_BP_2_a_checkout_payment_is_captured_into_each_orders_escrow(shop):
    usd, eur = place_and_pay(shop.buyer, shop.address, shop.variant, shop.other_variant)
    assert Payment.objects.filter(state="succeeded").count() == 2  # one per currency
    for order in (usd, eur):
        capture = Transaction.objects.get(idempotency_key=f"capture:order:{order.pk}")
        assert capture.kind == "capture" and capture.order_id == order.pk
        assert balance(K.ORDER_ESCROW, order=order) == order.total_minor
    assert usd.total_minor == 3000 and eur.total_minor == 1999 + 333
    assert balance(K.PROVIDER_CLEARING, currency="USD") == -3000
    assert balance(K.PROVIDER_CLEARING, currency="EUR") == -2332
    assert ledger_problems() == []


def test_PAY_5_paying_twice_captures_once(shop):
    order = place_and_pay(shop.buyer, shop.address, shop.variant)[0]
    with pytest.raises(Conflict):  # nothing left to pay: no second charge, no second capture
        checkout_pay(checkout=order.checkout, token=SUCCESS_TOKEN, idempotency_key="again", now=T0)
    again = ledger.ledger_capture_order(order=order, now=T0)  # a webhook delivered again
    assert not again.created
    assert Transaction.objects.filter(kind="capture").count() == 1
    assert balance(K.ORDER_ESCROW, order=order) == 3000


def test_an_unpaid_order_has_no_escrow(shop):
    order = place_and_pay(shop.buyer, shop.address, shop.variant, pay=False)[0]
    assert not Account.objects.filter(kind=K.ORDER_ESCROW, order=order).exists()
    closed = order_close(order=order, actor=Actor.BUYER, close_reason=CloseReason.BUYER_CANCELLED_UNPAID,
                         now=T0 + SECOND)
    assert closed.state == State.CLOSED and not Transaction.objects.exists()


# --- refunds -------------------------------------------------------------------------------------


def test_RFD_1_closing_a_paid_order_draws_the_full_refund_from_escrow(shop):
    order = shop.paid_order()
    order_close(order=order, actor=Actor.SYSTEM, close_reason=CloseReason.SELLER_SHIP_TIMEOUT,
                now=T0 + SECOND)
    refund_row = Refund.objects.get(order=order)
    draw = Transaction.objects.get(idempotency_key=f"refund:{refund_row.pk}")
    assert draw.kind == "refund" and draw.order_id == order.pk
    assert balance(K.ORDER_ESCROW, order=order) == 0
    assert balance(K.PROVIDER_CLEARING, currency="USD") == 0  # back to the card (PAY-4)
    assert order_ledger(order) == {"captured": 3000, "refunded": 3000, "released": 0, "held": 0}
    assert ledger_problems() == []


def test_RFD_1_partial_refunds_up_to_what_is_left_then_refused(shop):
    order = shop.paid_order()
    refund(order, 1000, "r1")
    refund(order, 1500, "r2")
    assert refund(order, 1500, "r2").amount_minor == 1500  # replayed: same refund
    with pytest.raises(DomainError) as error:
        refund(order, 501, "r3")
    assert error.value.code == "refund_too_large" and "amount_minor" in error.value.fields
    refund(order, 500, "r4")
    with pytest.raises(DomainError):
        refund(order, 1, "r5")
    assert Refund.objects.filter(order=order).count() == 3
    assert order_ledger(order) == {"captured": 3000, "refunded": 3000, "released": 0, "held": 0}
    assert ledger_problems() == []


@pytest.mark.parametrize(
    "amount, field",
    [(0, "amount_minor"), (-5, "amount_minor"), ("10", "amount_minor"), (2.5, "amount_minor"),
     (True, "amount_minor")],
)
def test_RFD_1_bad_refund_amounts_are_refused_and_change_nothing(shop, amount, field):
    order = shop.paid_order()
    with pytest.raises(DomainError) as error:
        refund(order, amount, "bad")
    assert field in error.value.fields
    assert not Refund.objects.exists() and not Transaction.objects.filter(kind="refund").exists()


def test_RFD_1_bad_refund_fields_are_refused(shop):
    order = shop.paid_order()
    with pytest.raises(DomainError) as error:
        refund_order_amount(order=order, amount_minor=10, reason="", event_key="", now=T0, destination="moon")
    assert set(error.value.fields) == {"reason", "event_key", "destination"}
    assert not Refund.objects.exists()


def test_RFD_1_the_ledger_refuses_a_refund_above_the_escrow_even_if_the_caller_forgot_to_check(shop):
    order = shop.paid_order()
    too_much = Refund.objects.create(order=order, amount_minor=3001, currency="USD", reason="x",
                                     idempotency_key="raw", created_at=T0)
    with pytest.raises(DomainError) as error:
        ledger_refund(refund=too_much, now=T0)
    assert error.value.code == "refund_exceeds_escrow" and "$30.00" in error.value.message
    wrong_currency = Refund.objects.create(order=order, amount_minor=1, currency="EUR", reason="x",
                                           idempotency_key="eur", created_at=T0)
    with pytest.raises(DomainError) as error:
        ledger_refund(refund=wrong_currency, now=T0)
    assert error.value.code == "currency_mismatch"
    assert balance(K.ORDER_ESCROW, order=order) == 3000


@pytest.mark.parametrize(
    "destination, kind, owner",
    [("original", K.PROVIDER_CLEARING, {}), ("balance", K.BUYER_BALANCE, {"user": True}),
     ("coupon", K.PLATFORM_DISCOUNTS, {})],
)
def test_PAY_4_a_refund_goes_to_its_destination(shop, destination, kind, owner):
    order = shop.paid_order()
    refund(order, 700, "d", destination=destination)
    owner = {"user": shop.buyer} if owner else {}
    expected = 700 - 3000 if kind == K.PROVIDER_CLEARING else 700
    assert balance(kind, currency="USD", **owner) == expected
    assert balance(K.ORDER_ESCROW, order=order) == 2300


def test_RFD_1_a_refund_the_provider_fails_returns_its_money_to_escrow(shop):
    order = shop.paid_order()
    made = refund(order, 1200, "f")
    Refund.objects.filter(pk=made.pk).update(state=Refund.State.FAILED)  # what the provider answered
    back = ledger_refund_failed(refund=made, now=T0 + SECOND)
    assert back.kind == "reversal" and back.idempotency_key == f"refund:{made.pk}:failed"
    assert ledger_refund_failed(refund=made, now=T0 + SECOND).pk == back.pk  # the task ran twice
    assert balance(K.ORDER_ESCROW, order=order) == 3000
    assert order_ledger(order)["refunded"] == 0
    refund(order, 3000, "whole")  # the whole payment is refundable again
    assert ledger_problems() == []


def test_an_order_marked_paid_without_a_captured_payment_is_not_journaled(shop):
    from orders.transitions import order_transition

    order = place_and_pay(shop.buyer, shop.address, shop.variant, pay=False)[0]
    order_transition(order=order, to=State.AWAITING_SHIPMENT, actor=Actor.SYSTEM, now=T0, kind="paid")
    order_close(order=order, actor=Actor.SYSTEM, close_reason=CloseReason.SELLER_SHIP_TIMEOUT,
                now=T0 + SECOND)
    assert Refund.objects.filter(order=order).exists()
    assert not Transaction.objects.exists()


# --- release -------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount, rate, commission", [(3000, 800, 240), (20, 250, 1), (19, 250, 0),
                                                      (3001, 800, 240), (7, 10_000, 7), (7, 0, 0)])
def test_BP_2_commission_rounds_half_up_and_the_seller_gets_the_rest(settings, amount, rate, commission):
    settings.HMONG_POLICY = {"commission_rate_bp": rate}
    assert commission_of(amount) == commission


def test_BP_2_protection_end_completes_and_releases_minus_commission(shop, settings):
    settings.HMONG_POLICY = {"commission_rate_bp": 250}
    order = shop.paid_order()
    refund(order, 980, "part")  # 2020 left in escrow
    done = end_protection(order)
    assert done.state == State.COMPLETED
    release = Transaction.objects.get(idempotency_key=f"release:order:{order.pk}")
    lines = dict(release.entries.values_list("account__kind", "amount_minor"))
    # 2.5 % of 2020 is 50.5: rounds half-up to 51; the seller gets the rest.
    assert lines == {"order_escrow": -2020, "seller_available": 2020 - 51, "platform_revenue": 51}
    assert seller_balances(store=shop.store)[0].available.amount == 1969
    assert seller_balances(store=shop.store)[0].pending.amount == 0
    assert order_ledger(order) == {"captured": 3000, "refunded": 980, "released": 2020, "held": 0}
    assert ledger_problems() == []


def test_BP_2_release_happens_once_even_if_the_deadline_fires_again(shop):
    order = end_protection(shop.paid_order())
    again = ledger_release_order(order=order, now=T0 + dt.timedelta(days=60))
    assert not again.created
    deadlines_fire_due(now=T0 + dt.timedelta(days=90))
    assert Transaction.objects.filter(kind="release").count() == 1


def test_RFD_1_no_refund_after_the_release(shop):
    order = end_protection(shop.paid_order())
    with pytest.raises(DomainError) as error:
        refund(order, 1, "late")
    assert error.value.code == "refund_exceeds_escrow"
    assert "already released" in error.value.message
    assert not Refund.objects.filter(order=order).exists()


def test_BP_2_nothing_is_released_after_a_full_refund(shop):
    order = shop.paid_order()
    refund(order, 3000, "all")
    done = end_protection(order)
    assert done.state == State.COMPLETED
    assert not Transaction.objects.filter(kind="release").exists()
    assert seller_balances(store=shop.store)[0].available.amount == 0


def test_BP_2_an_open_dispute_blocks_the_release(shop):
    disputed = set()

    def open_dispute(order):  # what the disputes feature will register
        return order.pk in disputed

    ledger.release_blocker_register(open_dispute)
    try:
        order = shop.paid_order()
        disputed.add(order.pk)
        order = end_protection(order)
        assert not Transaction.objects.filter(kind="release").exists()
        assert balance(K.ORDER_ESCROW, order=order) == 3000
        disputed.clear()  # the dispute closed without a refund
        assert ledger_release_order(order=order, now=T0 + dt.timedelta(days=80)).created
    finally:
        ledger.release_blocker_unregister(open_dispute)
    assert balance(K.ORDER_ESCROW, order=order) == 0
