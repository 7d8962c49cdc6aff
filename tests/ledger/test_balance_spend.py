"""The buyer's platform balance spent at checkout (PAY-4, RFD-1): full and partial payment,
an empty balance, a declined rest giving the balance back, refunds of the balance-paid part
returning to the balance, and concurrent spending on PostgreSQL (never below zero)."""

import contextlib
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from core.errors import DomainError
from ledger.models import Account, Transaction
from ledger.selectors import ledger_problems
from ledger.services import account_get, ledger_post
from orders.services import checkout_pay, order_close
from orders.states import Actor, CloseReason, State
from payments.models import Payment, Refund
from payments.services import refund_order_amount
from tests.factories import AddressFactory, StoreFactory, UserFactory
from tests.payments.conftest import T0, place, sellable
from tests.tasks import run_pending_tasks

NOW = T0 + dt.timedelta(hours=1)
LATER = NOW + dt.timedelta(days=2)


@pytest.fixture
def buyer(db):
    return UserFactory()


def credit(user, amount, currency="USD", key="goodwill"):
    """A goodwill credit to the buyer's balance, funded by the platform (a real ledger posting)."""
    ledger_post(
        key=f"{key}:{user.pk}",
        kind=Transaction.Kind.ADJUSTMENT,
        lines=[
            (account_get(kind=Account.Kind.PLATFORM_DISCOUNTS, currency=currency, now=NOW), -amount),
            (account_get(kind=Account.Kind.BUYER_BALANCE, currency=currency, user=user, now=NOW), amount),
        ],
        now=NOW,
    )


def balance_of(user, currency="USD"):
    account = Account.objects.filter(kind=Account.Kind.BUYER_BALANCE, user=user, currency=currency).first()
    return account.balance_minor if account else 0


def new_checkout(buyer, *, price=2500, key="k1"):
    address = AddressFactory(user=buyer, country="US")
    return place(buyer, address, sellable(StoreFactory(currency="USD"), price=price), key=key)


def test_PAY_4_balance_pays_the_whole_checkout(buyer):
    checkout = new_checkout(buyer)
    order = checkout.orders.get()
    credit(buyer, order.total_minor + 1000)
    [payment] = checkout_pay(checkout=checkout, token="", idempotency_key="p", now=NOW, use_balance=True)
    order.refresh_from_db()
    assert (payment.method, payment.state, payment.amount_minor) == (
        "balance",
        "succeeded",
        order.total_minor,
    )
    assert order.state == State.AWAITING_SHIPMENT
    assert balance_of(buyer) == 1000
    # PAY-5: the same submit again spends nothing more
    checkout_pay_again = Payment.objects.filter(checkout=checkout).count()
    with pytest.raises(DomainError):
        checkout_pay(checkout=checkout, token="", idempotency_key="p", now=NOW, use_balance=True)
    assert Payment.objects.filter(checkout=checkout).count() == checkout_pay_again
    assert balance_of(buyer) == 1000
    assert ledger_problems() == []


def test_PAY_4_balance_pays_part_and_the_card_the_rest(buyer):
    checkout = new_checkout(buyer)
    order = checkout.orders.get()
    credit(buyer, 1000)
    [card] = checkout_pay(
        checkout=checkout, token="tok_success", idempotency_key="p", now=NOW, use_balance=True
    )
    part = Payment.objects.get(checkout=checkout, method="balance")
    assert (part.state, part.amount_minor) == ("succeeded", 1000)
    assert (card.method, card.state, card.amount_minor) == ("card", "succeeded", order.total_minor - 1000)
    order.refresh_from_db()
    assert order.state == State.AWAITING_SHIPMENT
    assert balance_of(buyer) == 0
    assert ledger_problems() == []


def clearing_of(currency="USD"):
    account = Account.objects.filter(kind=Account.Kind.PROVIDER_CLEARING, currency=currency).first()
    return account.balance_minor if account else 0


def test_PAY_4_balance_spend_posts_straight_from_the_balance_into_the_orders_escrow(buyer):
    """The balance part never passes through the provider clearing account: buyer_balance →
    order_escrow, one capture per order; the provider's capture brings only the rest."""
    address = AddressFactory(user=buyer, country="US")
    store = StoreFactory(currency="USD")
    checkout = place(buyer, address, sellable(store, price=2500), sellable(StoreFactory(currency="USD")),
                     key="two")
    first, second = checkout.orders.order_by("pk")
    credit(buyer, first.total_minor + 700)  # the first order in full, 7.00 of the second
    checkout_pay(checkout=checkout, token="tok_success", idempotency_key="p", now=NOW, use_balance=True)
    spent = Transaction.objects.filter(idempotency_key__startswith="balance:p:USD:balance:").order_by("pk")
    assert [(t.kind, t.order_id) for t in spent] == [("capture", first.pk), ("capture", second.pk)]
    for posted, share in zip(spent, [first.total_minor, 700], strict=True):
        lines = sorted(posted.entries.values_list("account__kind", "amount_minor"))
        assert lines == [("buyer_balance", -share), ("order_escrow", share)]
    assert not Transaction.objects.filter(idempotency_key=f"capture:order:{first.pk}").exists()
    card_capture = Transaction.objects.get(idempotency_key=f"capture:order:{second.pk}")
    assert dict(card_capture.entries.values_list("account__kind", "amount_minor")) == {
        "provider_clearing": -(second.total_minor - 700), "order_escrow": second.total_minor - 700,
    }
    assert clearing_of() == -(second.total_minor - 700)
    for order in (first, second):
        assert Account.objects.get(kind="order_escrow", order=order).balance_minor == order.total_minor
    assert balance_of(buyer) == 0
    assert ledger_problems() == []


def test_PAY_4_a_declined_rest_gives_the_balance_back(buyer):
    checkout = new_checkout(buyer)
    credit(buyer, 1000)
    [card] = checkout_pay(
        checkout=checkout, token="tok_declined", idempotency_key="p", now=NOW, use_balance=True
    )
    assert card.state == "failed"
    assert Payment.objects.get(checkout=checkout, method="balance").state == "failed"
    assert balance_of(buyer) == 1000
    # The escrow gave the balance part back (a reversal); the clearing account never moved.
    assert Account.objects.get(kind="order_escrow", order=checkout.orders.get()).balance_minor == 0
    assert clearing_of() == 0
    assert checkout.orders.get().state == State.AWAITING_PAYMENT
    # another try spends it again, once
    checkout_pay(checkout=checkout, token="tok_success", idempotency_key="p2", now=NOW, use_balance=True)
    assert balance_of(buyer) == 0
    assert ledger_problems() == []


def test_PAY_4_insufficient_empty_balance_spends_nothing(buyer):
    checkout = new_checkout(buyer)
    [card] = checkout_pay(
        checkout=checkout, token="tok_success", idempotency_key="p", now=NOW, use_balance=True
    )
    assert card.amount_minor == checkout.orders.get().total_minor
    assert not Payment.objects.filter(checkout=checkout, method="balance").exists()
    assert balance_of(buyer) == 0


def test_RFD_1_refund_of_a_balance_paid_part_goes_back_to_the_balance(buyer):
    checkout = new_checkout(buyer)
    order = checkout.orders.get()
    credit(buyer, 1000)
    checkout_pay(checkout=checkout, token="tok_success", idempotency_key="p", now=NOW, use_balance=True)
    # a partial refund first takes from the balance-paid part...
    first = refund_order_amount(order=order, amount_minor=600, reason="Damaged", event_key="r1", now=LATER)
    assert (first.destination, first.amount_minor) == ("balance", 600)
    # ...a larger one is split: the rest of the balance part, then the card
    refund_order_amount(order=order, amount_minor=900, reason="More", event_key="r2", now=LATER)
    rows = {(r.destination, r.amount_minor) for r in Refund.objects.filter(idempotency_key__startswith="r2")}
    assert rows == {("balance", 400), ("original", 500)}
    # closing refunds what is left, to the card
    order_close(order=order, actor=Actor.SYSTEM, close_reason=CloseReason.SELLER_SHIP_TIMEOUT, now=LATER)
    run_pending_tasks()
    by_destination = {}
    for r in Refund.objects.filter(order=order):
        by_destination[r.destination] = by_destination.get(r.destination, 0) + r.amount_minor
    assert by_destination == {"balance": 1000, "original": order.total_minor - 1000}
    assert balance_of(buyer) == 1000
    assert ledger_problems() == []


def test_RFD_1_full_balance_payment_refunds_to_the_balance_on_close(buyer):
    checkout = new_checkout(buyer)
    order = checkout.orders.get()
    credit(buyer, order.total_minor)
    checkout_pay(checkout=checkout, token="", idempotency_key="p", now=NOW, use_balance=True)
    assert balance_of(buyer) == 0
    order_close(order=order, actor=Actor.SYSTEM, close_reason=CloseReason.SELLER_SHIP_TIMEOUT, now=LATER)
    run_pending_tasks()
    [refund] = Refund.objects.filter(order=order)
    assert (refund.destination, refund.state) == ("balance", "succeeded")
    assert balance_of(buyer) == order.total_minor


@pytest.mark.parametrize("amount", [0, -5, True, 1.5])
def test_RFD_1_refund_amount_must_be_positive(buyer, amount):
    checkout = new_checkout(buyer)
    order = checkout.orders.get()
    checkout_pay(checkout=checkout, token="tok_success", idempotency_key="p", now=NOW)
    with pytest.raises(DomainError) as error:
        refund_order_amount(order=order, amount_minor=amount, reason="x", event_key="r", now=LATER)
    assert "amount_minor" in error.value.fields
    assert not Refund.objects.filter(order=order).exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_PAY_4_concurrent_balance_spends_never_go_below_zero(is_postgres):
    if not is_postgres:
        pytest.skip("row locks are a PostgreSQL matter (SQLite serialises writes)")
    buyer = UserFactory()
    checkouts = [new_checkout(buyer, price=2500, key=f"k{i}") for i in range(6)]
    total = checkouts[0].orders.get().total_minor
    credit(buyer, total * 2 + 100)  # enough for two checkouts and a bit of a third
    barrier = threading.Barrier(len(checkouts))

    def pay(checkout):
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=30)
            checkout_pay(
                checkout=checkout,
                token="tok_success",
                idempotency_key=f"p{checkout.pk}",
                now=NOW,
                use_balance=True,
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(checkouts)) as pool:
        list(pool.map(pay, checkouts))
    spent = sorted(
        Payment.objects.filter(method="balance", state="succeeded").values_list("amount_minor", flat=True)
    )
    assert sum(spent) == total * 2 + 100 and spent.count(total) == 2 and 100 in spent
    assert balance_of(buyer) == 0
    assert Payment.objects.filter(method="card", state="succeeded").count() == 4
    assert ledger_problems() == []


def test_PAY_4_balance_alone_that_does_not_cover_the_amount_is_a_field_error(buyer):
    checkout = new_checkout(buyer)
    credit(buyer, 100)
    with pytest.raises(DomainError) as error:
        checkout_pay(checkout=checkout, token="", idempotency_key="p", now=NOW, use_balance=True)
    assert error.value.code == "balance_insufficient" and "token" in error.value.fields
    assert not Payment.objects.filter(checkout=checkout).exists()
    assert balance_of(buyer) == 100


def test_RFD_1_balance_part_of_an_appealed_card_payment_refunds_to_the_balance(buyer):
    """PAY-3 + PAY-4: the card part is flagged for verification, staff approve it; the balance
    part counts as spent and a later refund gives it back to the balance first."""
    from appeals.models import Appeal
    from appeals.services import appeal_approve, appeal_documents_submit
    from payments.providers.simulated import card_tokenise
    from tests.appeals.conftest import jpeg, pdf, png

    checkout = new_checkout(buyer)
    order = checkout.orders.get()
    credit(buyer, 1000)
    token = card_tokenise(number="4000000000000200", exp_month=12, exp_year=2030, now=NOW).token
    [card] = checkout_pay(checkout=checkout, token=token, idempotency_key="p", now=NOW, use_balance=True)
    assert card.state == "verifying"
    appeal = Appeal.objects.get(payment=card)
    files = [("id_document", jpeg()), ("card_photo", png()), ("bank_statement", pdf())]
    appeal_documents_submit(appeal=appeal, buyer=buyer, now=NOW, files=files)
    appeal_approve(appeal=appeal, staff=UserFactory(is_staff=True), now=LATER)

    order.refresh_from_db()
    assert order.state == State.AWAITING_SHIPMENT
    first = refund_order_amount(
        order=order, amount_minor=order.total_minor, reason="x", event_key="r", now=LATER
    )
    assert (first.destination, first.amount_minor) == ("balance", 1000)
    run_pending_tasks()
    assert balance_of(buyer) == 1000
    assert ledger_problems() == []


def test_PAY_3_rejected_appeal_gives_the_balance_part_back(buyer):
    """PAY-3 + PAY-4: the card part is rejected after review; the balance spent with it returns
    to the buyer's balance (a reversing entry) and the orders close with nothing captured."""
    from appeals.models import Appeal
    from appeals.services import appeal_documents_submit, appeal_reject
    from payments.providers.simulated import card_tokenise
    from tests.appeals.conftest import jpeg, pdf, png

    checkout = new_checkout(buyer)
    order = checkout.orders.get()
    credit(buyer, 1000)
    token = card_tokenise(number="4000000000000200", exp_month=12, exp_year=2030, now=NOW).token
    [card] = checkout_pay(checkout=checkout, token=token, idempotency_key="p", now=NOW, use_balance=True)
    assert balance_of(buyer) == 0
    appeal = Appeal.objects.get(payment=card)
    files = [("id_document", jpeg()), ("card_photo", png()), ("bank_statement", pdf())]
    appeal_documents_submit(appeal=appeal, buyer=buyer, now=NOW, files=files)
    appeal_reject(appeal=appeal, staff=UserFactory(is_staff=True), note="Documents do not match", now=LATER)

    order.refresh_from_db()
    assert order.state == State.CLOSED and order.close_reason == CloseReason.PAYMENT_REJECTED
    assert balance_of(buyer) == 1000
    part = Payment.objects.get(checkout=checkout, method="balance")
    assert part.state == Payment.State.FAILED
    assert ledger_problems() == []


def test_PAY_4_balance_part_with_a_platform_funded_coupon_is_captured_once(buyer):
    """The balance part is in the escrow before the capture that also brings the platform's
    share of a coupon (CPN-7): that capture takes only the rest from the provider."""
    from coupons.models import Kind
    from tests.coupons.factories import T0 as COUPON_T0
    from tests.coupons.factories import promotion_make

    address = AddressFactory(user=buyer, country="US")
    store = StoreFactory(currency="USD")
    promotion_make(Kind.PLATFORM_COUPON, amount_minor=700, collect_for=buyer)  # platform-funded
    checkout = place(buyer, address, sellable(store, price=2500), key="cpn", now=COUPON_T0)
    order = checkout.orders.get()
    assert order.discount_total_minor == 700
    credit(buyer, 1000)
    checkout_pay(checkout=checkout, token="tok_success", idempotency_key="p", now=COUPON_T0,
                 use_balance=True)
    escrow = Account.objects.get(kind="order_escrow", order=order)
    assert escrow.balance_minor == order.total_minor + 700  # buyer's payment + the platform's share
    assert clearing_of() == -(order.total_minor - 1000)
    assert balance_of(buyer) == 0
    assert ledger_problems() == []
