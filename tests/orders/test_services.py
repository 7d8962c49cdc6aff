"""Order use cases: checkout, pay, cancel, ship, receive, extend (ORD-1…ORD-9, BP-2, BP-4, NTF-1)."""

import datetime as dt

import pytest
from django.core import mail

from cart.models import CartLine
from catalog.models import Variant
from core.errors import Conflict, DomainError, NotAllowed
from deadlines.models import Deadline, Status
from deadlines.worker import deadlines_fire_due
from notifications.models import Notice
from orders.models import Order, RequestStatus
from orders.rules import check_request_cancellation, check_request_extension
from orders.services import (
    cancellation_answer,
    checkout_pay,
    checkout_place,
    extension_answer,
    extension_request,
    order_cancel_unpaid,
    order_confirm_receipt,
    order_mark_shipped,
    order_request_cancellation,
)
from orders.states import CloseReason, State
from payments.models import Payment, Refund
from payments.providers.simulated import SUCCESS_TOKEN
from tests.factories import (
    AddressFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)
from tests.tasks import run_pending_tasks

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday
SECOND = dt.timedelta(seconds=1)


def run_tasks():
    return run_pending_tasks()


def sellable(store, *, price=2500, stock=5, processing_days=7, max_days=20):
    method = store.shipping_methods.first()
    if method is None:
        method = ShippingMethodFactory(store=store)
        DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=max_days)
    product = ProductFactory(store=store, processing_days=processing_days,
                             variants=[{"price_minor": price, "stock": stock}])
    product.shipping_methods.add(method)
    return product.variants.get()


@pytest.fixture
def buyer(db):
    return UserFactory()


@pytest.fixture
def address(buyer):
    return AddressFactory(user=buyer)


def place(buyer, address, *variants, qty=1, key="k1", now=T0):
    for v in variants:
        CartLine.objects.create(user=buyer, variant=v, quantity=qty, price_seen_minor=v.price_minor)
    return checkout_place(buyer=buyer, address=address, idempotency_key=key, now=now)


def paid_order(buyer, address, *, now=T0, **kwargs):
    variant = sellable(StoreFactory(), **kwargs)
    checkout = place(buyer, address, variant, now=now)
    checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="pay1", now=now)
    return Order.objects.get(checkout=checkout)


def test_ORD_1_checkout_makes_one_order_per_store_and_reserves_stock(buyer, address):
    a, b = StoreFactory(), StoreFactory()
    va1, va2, vb = sellable(a, price=1000), sellable(a, price=500, processing_days=12), sellable(b)
    checkout = place(buyer, address, va1, va2, vb, qty=2)
    orders = {o.store_id: o for o in checkout.orders.all()}
    assert set(orders) == {a.pk, b.pk}
    order_a = orders[a.pk]
    assert order_a.lines.count() == 2
    assert order_a.items_total_minor == 2 * 1000 + 2 * 500
    assert order_a.total_minor == order_a.items_total_minor + 500  # the shipping price
    assert order_a.processing_days == 12  # the longest line (ORD-4)
    assert order_a.state == State.AWAITING_PAYMENT
    assert Variant.objects.get(pk=va1.pk).stock == 3
    assert not CartLine.objects.filter(user=buyer).exists()


def test_ORD_1_double_submitted_checkout_creates_one_set_of_orders(buyer, address):
    variant = sellable(StoreFactory())
    first = place(buyer, address, variant)
    again = checkout_place(buyer=buyer, address=address, idempotency_key="k1", now=T0)
    assert again.pk == first.pk
    assert Order.objects.count() == 1


def test_ORD_1_bad_checkouts_are_refused_and_change_nothing(buyer, address):
    with pytest.raises(DomainError) as empty:
        checkout_place(buyer=buyer, address=address, idempotency_key="e", now=T0)
    assert empty.value.code == "empty_cart"
    variant = sellable(StoreFactory(), stock=1)
    CartLine.objects.create(user=buyer, variant=variant, quantity=2, price_seen_minor=2500)
    with pytest.raises(Conflict) as short:
        checkout_place(buyer=buyer, address=address, idempotency_key="s", now=T0)
    assert "Only 1 left" in short.value.fields[str(variant.pk)]
    nameless = AddressFactory(user=buyer, last_name=" ")
    with pytest.raises(DomainError) as incomplete:
        checkout_place(buyer=buyer, address=nameless, idempotency_key="n", now=T0)
    assert incomplete.value.code == "incomplete_name"
    Variant.objects.filter(pk=variant.pk).update(is_active=False)
    with pytest.raises(Conflict):
        checkout_place(buyer=buyer, address=address, idempotency_key="v", now=T0)
    assert Order.objects.count() == 0
    assert Variant.objects.get(pk=variant.pk).stock == 1


def test_ORD_3_buyer_cancels_an_unpaid_order_and_stock_returns(buyer, address):
    variant = sellable(StoreFactory(), stock=3)
    order = place(buyer, address, variant, qty=2).orders.get()
    closed = order_cancel_unpaid(order=order, buyer=buyer, now=T0 + SECOND)
    assert closed.state == State.CLOSED and closed.close_reason == CloseReason.BUYER_CANCELLED_UNPAID
    assert Variant.objects.get(pk=variant.pk).stock == 3
    assert not Refund.objects.exists()  # nothing was paid
    with pytest.raises(NotAllowed):  # cancelling twice
        order_cancel_unpaid(order=order, buyer=buyer, now=T0 + SECOND)


def test_ORD_3_payment_window_closes_unpaid_order_one_second_after_not_before(buyer, address):
    order = place(buyer, address, sellable(StoreFactory())).orders.get()
    due = T0 + dt.timedelta(hours=24)
    deadlines_fire_due(now=due - SECOND)
    assert Order.objects.get(pk=order.pk).state == State.AWAITING_PAYMENT
    deadlines_fire_due(now=due)
    assert Order.objects.get(pk=order.pk).close_reason == CloseReason.PAYMENT_TIMEOUT


def test_ORD_4_ship_timeout_closes_with_a_full_refund_that_arrives_once(buyer, address):
    order = paid_order(buyer, address, processing_days=7)
    # Monday 15:00 UTC + 7 business days = the next Wednesday, same Chicago wall time.
    assert order.ship_by == dt.datetime(2026, 11, 11, 15, 0, tzinfo=dt.UTC)
    deadlines_fire_due(now=order.ship_by)
    closed = Order.objects.get(pk=order.pk)
    assert closed.close_reason == CloseReason.SELLER_SHIP_TIMEOUT
    refund = Refund.objects.get(order=order)
    assert refund.amount_minor == order.total_minor and refund.state == Refund.State.PENDING
    run_tasks()
    run_tasks()
    refund.refresh_from_db()
    assert refund.state == Refund.State.SUCCEEDED and refund.arn  # ORD-9
    assert Refund.objects.filter(order=order).count() == 1


def test_ORD_5_cancellation_request_unanswered_for_48h_goes_through(buyer, address):
    order = paid_order(buyer, address)
    asked = T0 + dt.timedelta(hours=1)
    request = order_request_cancellation(order=order, buyer=buyer, reason="Ordered the wrong size", now=asked)
    assert request.answer_due_at == asked + dt.timedelta(hours=48)
    deadlines_fire_due(now=request.answer_due_at - SECOND)
    assert Order.objects.get(pk=order.pk).state == State.AWAITING_SHIPMENT
    deadlines_fire_due(now=request.answer_due_at)
    closed = Order.objects.get(pk=order.pk)
    assert closed.close_reason == CloseReason.CANCELLATION_UNANSWERED
    assert closed.cancellation_requests.get().status == RequestStatus.EXPIRED
    assert Refund.objects.get(order=order).amount_minor == order.total_minor


def test_ORD_5_seller_accepts_or_refuses(buyer, address):
    order = paid_order(buyer, address)
    seller = order.store.owner
    order_request_cancellation(order=order, buyer=buyer, reason="Changed my mind", now=T0)
    with pytest.raises(NotAllowed):  # asking twice
        order_request_cancellation(order=order, buyer=buyer, reason="Again", now=T0)
    with pytest.raises(NotAllowed):  # shipping with a request pending
        order_mark_shipped(order=order, seller=seller, carrier="USPS", tracking_number="LX123", now=T0)
    cancellation_answer(order=order, seller=seller, accept=False, note="Already packed", now=T0)
    assert Order.objects.get(pk=order.pk).state == State.AWAITING_SHIPMENT
    deadlines_fire_due(now=T0 + dt.timedelta(hours=49))  # the answer disarmed the 48 h deadline
    assert Order.objects.get(pk=order.pk).state == State.AWAITING_SHIPMENT
    order_request_cancellation(order=order, buyer=buyer, reason="Please", now=T0 + dt.timedelta(hours=50))
    cancellation_answer(order=order, seller=seller, accept=True, now=T0 + dt.timedelta(hours=51))
    assert Order.objects.get(pk=order.pk).close_reason == CloseReason.CANCELLED_BY_SELLER_AGREEMENT


def test_ORD_5_no_cancellation_request_after_shipment_or_while_payment_is_verified(buyer, address):
    order = paid_order(buyer, address)
    order_mark_shipped(order=order, seller=order.store.owner, carrier="USPS", tracking_number="LX1", now=T0)
    decision = check_request_cancellation(Order.objects.get(pk=order.pk), T0)
    assert decision.code == "already_shipped" and "dispute" in decision.reason
    Order.objects.filter(pk=order.pk).update(state=State.PAYMENT_VERIFYING)
    decision = check_request_cancellation(Order.objects.get(pk=order.pk), T0)
    assert decision.code == "payment_in_progress"


def test_ORD_6_shipping_sets_the_promised_delivery_time_and_validates(buyer, address):
    order = paid_order(buyer, address, max_days=20)
    seller = order.store.owner
    with pytest.raises(DomainError) as bad:
        order_mark_shipped(order=order, seller=seller, carrier="", tracking_number="no spaces!", now=T0)
    assert set(bad.value.fields) == {"carrier", "tracking_number"}
    at = T0 + dt.timedelta(days=2)
    shipped = order_mark_shipped(order=order, seller=seller, carrier="USPS", tracking_number="LX12-3", now=at)
    assert shipped.get_state_display() == "The seller has shipped your order"
    assert shipped.promised_delivery_at == at + dt.timedelta(days=20)
    with pytest.raises(NotAllowed):
        order_mark_shipped(order=order, seller=seller, carrier="USPS", tracking_number="LX9", now=at)


def test_ORD_7_BP_2_receipt_brings_protection_end_forward_and_the_order_completes(buyer, address):
    order = paid_order(buyer, address, max_days=30)
    with pytest.raises(NotAllowed):  # confirming receipt of an unshipped order
        order_confirm_receipt(order=order, buyer=buyer, now=T0)
    shipped = order_mark_shipped(order=order, seller=order.store.owner, carrier="USPS",
                                 tracking_number="LX1", now=T0)
    assert shipped.protection_ends_at == T0 + dt.timedelta(days=30 + 15)
    received_at = T0 + dt.timedelta(days=10)
    received = order_confirm_receipt(order=order, buyer=buyer, now=received_at)
    ends = received_at + dt.timedelta(days=15)
    assert received.protection_ends_at == ends
    deadlines_fire_due(now=ends - SECOND)
    assert Order.objects.get(pk=order.pk).state == State.SHIPPED
    deadlines_fire_due(now=ends)
    assert Order.objects.get(pk=order.pk).state == State.COMPLETED


def test_BP_4_extension_on_a_late_order_moves_pst_and_protection(buyer, address):
    order = paid_order(buyer, address, max_days=20)
    shipped = order_mark_shipped(order=order, seller=order.store.owner, carrier="USPS",
                                 tracking_number="LX1", now=T0)
    early = check_request_extension(shipped, shipped.promised_delivery_at - SECOND)
    assert early.code == "not_late_yet" and early.available_from == shipped.promised_delivery_at
    late = shipped.promised_delivery_at + dt.timedelta(days=1)
    for days in (0, 61, 365):
        with pytest.raises(DomainError) as bad:
            extension_request(order=order, buyer=buyer, days=days, now=late)
        assert "days" in bad.value.fields
    extension_request(order=order, buyer=buyer, days=10, reason="Still in transit", now=late)
    extended = extension_answer(order=order, seller=order.store.owner, accept=True, now=late)
    assert extended.promised_delivery_at == shipped.promised_delivery_at + dt.timedelta(days=10)
    assert extended.protection_ends_at == shipped.protection_ends_at + dt.timedelta(days=10)
    pending = Deadline.objects.get(subject_id=order.pk, kind="protection_end", status=Status.PENDING)
    assert pending.due_at == extended.protection_ends_at
    later = extended.promised_delivery_at + dt.timedelta(days=1)
    extension_request(order=order, buyer=buyer, days=5, now=later)
    refused = extension_answer(order=order, seller=order.store.owner, accept=False, now=later)
    assert refused.protection_ends_at == extended.protection_ends_at


def test_ORD_8_incomplete_name_closes_the_paid_order_with_full_refund(buyer, address):
    variant = sellable(StoreFactory())
    order = place(buyer, address, variant).orders.get()
    Order.objects.filter(pk=order.pk).update(ship_last_name="")  # as if edited after checkout
    checkout_pay(checkout=order.checkout, token=SUCCESS_TOKEN, idempotency_key="p", now=T0)
    closed = Order.objects.get(pk=order.pk)
    assert closed.state == State.CLOSED
    assert closed.close_reason == CloseReason.SECURITY_INCOMPLETE_NAME
    assert Refund.objects.get(order=order).amount_minor == order.total_minor


def test_PAY_5_paying_twice_charges_once(buyer, address):
    variant = sellable(StoreFactory())
    checkout = place(buyer, address, variant)
    checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="same", now=T0)
    with pytest.raises(Conflict):
        checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="same", now=T0)
    assert Payment.objects.count() == 1


def test_NTF_1_each_party_is_told_once_and_reminded_24h_before_their_deadline(buyer, address):
    order = paid_order(buyer, address, processing_days=7)
    seller = order.store.owner
    assert Notice.objects.filter(user=seller, kind="order_paid").count() == 1
    assert Notice.objects.filter(user=buyer, kind="order_paid").count() == 1
    remind_at = order.ship_by - dt.timedelta(hours=24)
    deadlines_fire_due(now=remind_at - SECOND)
    assert not Notice.objects.filter(kind="reminder").exists()
    deadlines_fire_due(now=remind_at)
    deadlines_fire_due(now=remind_at + SECOND)
    reminder = Notice.objects.get(kind="reminder")
    assert reminder.user == seller and "Ship order" in reminder.subject
    mail.outbox.clear()
    run_tasks()
    run_tasks()
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == Notice.objects.count()
    assert len(set(subjects)) == len(subjects)
