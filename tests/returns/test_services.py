"""Free Return use cases (RET-1…RET-4, HLP-4, NTF-1) at the service level, on the real database.

Orders are built through the real checkout, payment, shipment and receipt services; only
the clock is moved (time-machine at the edges, `now` passed to the services).
"""

import datetime as dt

import pytest
import time_machine
from django.core.checks import run_checks

from core import clock
from core.errors import DomainError, NotAllowed, NotFound
from core.policy import policy
from deadlines.models import Deadline, Status
from deadlines.worker import deadlines_fire_due
from ledger.models import Account
from ledger.services import escrow_of
from notifications.models import Notice
from orders.deadline_handlers import on_protection_end  # noqa: F401  (registered handler)
from orders.models import Order
from orders.states import State
from payments.models import Refund
from returns import rules, selectors, services
from returns.models import ReturnRequest
from returns.providers import provider_for_country
from returns.states import ReturnActor, ReturnState
from tests.returns.factories import DAY, RECEIVED_AT, SECOND, SHIPPED_AT, T0, ReturnShop

pytestmark = pytest.mark.django_db
AFTER = RECEIVED_AT + DAY  # well inside the window


def start(shop, order, units=None, *, now=AFTER, **kw):
    return services.return_request_create(
        order=order, buyer=shop.buyer, lines=units or {shop.line(order).pk: 1}, now=now, **kw
    )


def hand_over(request, *, now):
    return services.return_provider_update(
        provider=request.provider,
        event_id=f"evt-{request.pk}-drop",
        return_code=request.return_code,
        status="dropped_off",
        occurred_at=now,
        now=now,
    )[0]


# --- RET-1: the window, 15 days after receipt ------------------------------------------------------


def test_ret1_window_one_second_before_and_after_the_end(shop):
    order = shop.order()
    end = RECEIVED_AT + policy.free_return_window
    assert rules.window_end(order) == end
    with time_machine.travel(end - SECOND, tick=False):
        assert rules.check_request_return(order, clock.now())
        request = start(shop, order, now=clock.now())
    assert request.state == ReturnState.CODE_ISSUED
    other = shop.order()  # received at the same time
    with time_machine.travel(end + SECOND, tick=False):
        decision = rules.check_request_return(other, clock.now())
        assert not decision and decision.code == "window_passed" and decision.rule == "RET-1"
        with pytest.raises(NotAllowed) as refused:
            start(shop, other, now=clock.now())
    assert refused.value.code == "window_passed"
    assert not other.returns.exists()


def test_ret1_not_yet_received_says_from_when_hlp4(shop):
    order = shop.order(receive=False)
    pst = order.promised_delivery_at
    decision = rules.check_request_return(order, pst - SECOND)
    assert not decision and decision.code == "not_received_yet" and decision.available_from == pst
    # Past PST without a confirmation the items count as received (BP-2's anchor).
    assert rules.check_request_return(order, pst + SECOND)
    assert rules.window_end(order) == pst + policy.free_return_window


@pytest.mark.parametrize("stage", ["unpaid", "unshipped"])
def test_ret1_nothing_to_return_before_shipment(shop, stage):
    from cart.models import CartLine
    from orders.services import checkout_place

    if stage == "unpaid":
        CartLine.objects.create(user=shop.buyer, variant=shop.free, quantity=1, price_seen_minor=2500)
        order = checkout_place(
            buyer=shop.buyer, address=shop.address, idempotency_key="u1", now=T0
        ).orders.get()
        code = "not_paid"
    else:
        order = shop.order(ship=False)
        code = "not_shipped"
    decision = rules.check_request_return(order, AFTER)
    assert not decision and decision.code == code and decision.reason


def test_ret1_only_free_return_items(shop):
    plain_only = shop.order((shop.plain, 1))
    decision = rules.check_request_return(plain_only, AFTER)
    assert decision.code == "not_free_return"
    mixed = shop.order((shop.free, 1), (shop.plain, 1))
    with pytest.raises(DomainError) as refused:
        start(shop, mixed, {shop.line(mixed, shop.plain).pk: 1})
    assert refused.value.status == 422
    assert list(refused.value.fields) == [f"lines.{shop.line(mixed, shop.plain).pk}"]
    assert not ReturnRequest.objects.exists()


def test_ret1_completed_or_closed_orders_cannot_be_returned(shop):
    order = shop.order()
    Order.objects.filter(pk=order.pk).update(state=State.CLOSED)
    assert rules.check_request_return(Order.objects.get(pk=order.pk), AFTER).code == "order_closed"


def test_ret1_only_the_buyer(shop):
    order = shop.order()
    with pytest.raises(NotFound):
        services.return_request_create(
            order=order, buyer=shop.seller, lines={shop.line(order).pk: 1}, now=AFTER
        )


# --- RET-2: one free return per order, later ones at the buyer's cost -------------------------------


def test_ret2_first_return_free_then_at_the_buyers_cost(shop):
    order = shop.order()
    first = start(shop, order)
    assert first.is_free and first.buyer_accepted_cost_at is None
    assert not rules.next_return_is_free(order)
    with pytest.raises(DomainError) as refused:
        start(shop, order)  # not accepted: refused, nothing created
    assert refused.value.code == "paid_return_not_accepted"
    assert "accept_paid_shipping" in refused.value.fields
    assert order.returns.count() == 1
    second = start(shop, order, accept_paid_shipping=True, now=AFTER + SECOND)
    assert not second.is_free and second.buyer_pays_shipping
    assert second.buyer_accepted_cost_at == AFTER + SECOND  # recorded on the request


def test_ret2_a_cancelled_or_expired_code_gives_the_free_return_back(shop):
    order = shop.order()
    first = start(shop, order)
    services.return_cancel(request=first, buyer=shop.buyer, now=AFTER + SECOND)
    assert rules.next_return_is_free(order)
    again = start(shop, order, now=AFTER + 2 * SECOND)
    assert again.is_free


def test_ret2_a_dropped_off_free_return_stays_used(shop):
    order = shop.order()
    first = start(shop, order)
    hand_over(first, now=AFTER + DAY)
    with pytest.raises(NotAllowed) as refused:
        services.return_cancel(request=first, buyer=shop.buyer, now=AFTER + 2 * DAY)
    assert refused.value.code == "handed_over"
    assert not rules.next_return_is_free(order)


def test_ret2_units_never_returned_twice(shop):
    order = shop.order()  # 3 units
    line = shop.line(order)
    start(shop, order, {line.pk: 2})
    with pytest.raises(DomainError) as refused:
        start(shop, order, {line.pk: 2}, accept_paid_shipping=True)
    assert refused.value.fields == {
        f"lines.{line.pk}": ["At most 1 unit(s) of this item can still be returned."]
    }
    start(shop, order, {line.pk: 1}, accept_paid_shipping=True)
    assert rules.check_request_return(order, AFTER).code == "nothing_left"


@pytest.mark.parametrize(
    "lines",
    [{}, [], None, {"x": 1}, [{"line_id": "1", "quantity": 1}], [{"quantity": 1}], "3"],
)
def test_ret2_bad_lines_are_field_errors(shop, lines):
    order = shop.order()
    with pytest.raises(DomainError) as refused:
        services.return_request_create(order=order, buyer=shop.buyer, lines=lines, now=AFTER)
    assert refused.value.status == 422 and refused.value.fields
    assert not ReturnRequest.objects.exists()


@pytest.mark.parametrize("quantity", [0, -1, True, 1.5, "2", 99])
def test_ret2_bad_quantities_are_field_errors(shop, quantity):
    order = shop.order()
    line = shop.line(order)
    with pytest.raises(DomainError) as refused:
        start(shop, order, {line.pk: quantity})
    assert refused.value.status == 422 and f"lines.{line.pk}" in refused.value.fields


# --- RET-3: the provider serving the buyer's country -----------------------------------------------


def test_ret3_provider_by_country_from_the_configured_lists(shop, eu_shop):
    us = start(shop, shop.order())
    eu = start(eu_shop, eu_shop.order())
    assert (us.provider, us.country) == ("parcelpoint", "US")
    assert (eu.provider, eu.country) == ("returnhub", "DE")
    assert "ParcelPoint" in us.return_point and "United States" in us.return_point
    assert "ReturnHub" in eu.return_point and "Germany" in eu.return_point
    assert us.return_code != eu.return_code and us.return_code.startswith("RT-")
    assert us.code_expires_at == AFTER + policy.return_code_valid_for


def test_ret3_country_lists_are_data(settings, db):
    settings.RETURN_PROVIDERS = {
        "alpha": {"name": "Alpha", "countries": ["la", "TH"], "secret": "s" * 40},
        "beta": {"name": "Beta", "countries": ["US"], "secret": "t" * 40},
    }
    assert provider_for_country("LA").slug == "alpha"
    assert provider_for_country("US").slug == "beta"
    assert provider_for_country("DE") is None
    assert not [e for e in run_checks() if e.id.startswith("returns.")]
    settings.RETURN_PROVIDERS["beta"]["countries"] = ["US", "TH"]
    assert [e.id for e in run_checks() if e.id.startswith("returns.")] == ["returns.E001"]


def test_ret3_unserved_country_says_why(db):
    laos = ReturnShop(country="LA")
    order = laos.order()
    decision = rules.check_request_return(order, AFTER)
    assert not decision and decision.code == "no_provider" and "Laos" in decision.reason


def test_ret3_status_comes_from_the_provider_only(shop):
    request = start(shop, shop.order())
    moved = hand_over(request, now=AFTER + DAY)
    assert moved.state == ReturnState.DROPPED_OFF and moved.dropped_off_at == AFTER + DAY
    for status, state in (("in_transit", ReturnState.IN_TRANSIT), ("received", ReturnState.RECEIVED)):
        moved, outcome = services.return_provider_update(
            provider="parcelpoint",
            event_id=f"e-{status}",
            return_code=request.return_code,
            status=status,
            occurred_at=AFTER + 2 * DAY,
            location="Chicago",
            now=AFTER + 2 * DAY,
        )
        assert outcome == "applied" and moved.state == state
    # A late scan for an earlier step is recorded but changes nothing.
    moved, outcome = services.return_provider_update(
        provider="parcelpoint",
        event_id="e-late",
        return_code=request.return_code,
        status="in_transit",
        occurred_at=AFTER + DAY,
        now=AFTER + 3 * DAY,
    )
    assert outcome == "ignored" and moved.state == ReturnState.RECEIVED
    assert moved.events.filter(kind="provider_update_ignored").count() == 1


# --- RET-4: the warehouse report and the pro-rata refund -------------------------------------------


def inspect(request, good: dict, *, now=AFTER + 5 * DAY, actor=ReturnActor.WAREHOUSE, staff=None):
    lines = {line.pk: good[line.order_line_id] for line in request.lines.all()}
    return services.return_inspect(request=request, units_good=lines, actor=actor, staff=staff, now=now)


def test_ret4_refund_pro_rata_to_units_in_good_condition(shop):
    order = shop.order()  # 3 × 25.00 + 5.00 shipping
    line = shop.line(order)
    request = start(shop, order, {line.pk: 3})
    hand_over(request, now=AFTER + DAY)
    done = inspect(request, {line.pk: 2})
    assert done.state == ReturnState.INSPECTED and done.refund_minor == 5000
    refund = Refund.objects.get(order=order)
    assert refund.amount_minor == 5000 and refund.destination == Refund.Destination.ORIGINAL  # PAY-4
    assert done.refund_id == refund.pk
    assert [(line.quantity, line.units_good) for line in done.lines.all()] == [(3, 2)]
    assert escrow_of(order).balance_minor == 8000 - 5000


def test_ret4_refund_goes_where_the_payment_method_says(shop):
    """PAY-4 / RFD-1: a bank transfer's refund goes to the buyer's platform balance."""
    order = shop.order(method="bank_transfer")
    assert order.state == State.SHIPPED
    line = shop.line(order)
    request = start(shop, order, {line.pk: 1})
    hand_over(request, now=AFTER + DAY)
    inspect(request, {line.pk: 1})
    refund = Refund.objects.get(order=order)
    assert refund.amount_minor == 2500 and refund.destination == Refund.Destination.BALANCE


def test_ret4_empty_parcel_refunds_nothing(shop):
    order = shop.order()
    request = start(shop, order, {shop.line(order).pk: 2})
    hand_over(request, now=AFTER + DAY)
    done = inspect(request, {shop.line(order).pk: 0})
    assert done.state == ReturnState.INSPECTED and done.refund_minor == 0 and done.refund is None
    assert not Refund.objects.filter(order=order).exists()


def test_ret4_rounding_never_refunds_more_than_the_units_share(shop):
    order = shop.order()  # 3 × 25.00 = 75.00 items, 5.00 shipping
    # A discount lowered what was paid for the items to 49.99 (as a coupon would, CPN-7).
    Order.objects.filter(pk=order.pk).update(total_minor=4999 + 500)
    order.refresh_from_db()
    line = shop.line(order)
    assert selectors.refund_for_units(order=order, units=[(2500, 1)]) == 1666  # 2500 × 4999 / 7500 = 1666.33
    request = start(shop, order, {line.pk: 3})
    hand_over(request, now=AFTER + DAY)
    assert inspect(request, {line.pk: 3}).refund_minor == 4999  # all units: exactly what was paid
    assert selectors.refund_for_units(order=order, units=[(2500, 0)]) == 0


def test_ret4_several_returns_never_refund_more_than_paid(shop):
    order = shop.order()
    Order.objects.filter(pk=order.pk).update(total_minor=4999 + 500)
    line = shop.line(order)
    refunds = 0
    for i in range(3):
        request = start(shop, order, {line.pk: 1}, accept_paid_shipping=True, now=AFTER + i * SECOND)
        hand_over(request, now=AFTER + DAY)
        refunds += inspect(request, {line.pk: 1}).refund_minor
    assert refunds == 3 * 1666 <= 4999


@pytest.mark.parametrize("good", [-1, 4, None, "2", True])
def test_ret4_bad_inspection_changes_nothing(shop, good):
    order = shop.order()
    line = shop.line(order)
    request = start(shop, order, {line.pk: 3})
    hand_over(request, now=AFTER + DAY)
    rl = request.lines.get()
    with pytest.raises(DomainError) as refused:
        services.return_inspect(
            request=request, units_good={rl.pk: good}, actor=ReturnActor.WAREHOUSE, now=AFTER + 2 * DAY
        )
    assert refused.value.status == 422 and f"lines.{rl.pk}" in refused.value.fields
    request.refresh_from_db()
    assert request.state == ReturnState.DROPPED_OFF and not Refund.objects.exists()


def test_ret4_inspection_only_after_drop_off_and_once(shop):
    order = shop.order()
    line = shop.line(order)
    request = start(shop, order, {line.pk: 1})
    with pytest.raises(NotAllowed) as early:
        inspect(request, {line.pk: 1})
    assert early.value.code == "not_dropped_off"
    hand_over(request, now=AFTER + DAY)
    inspect(request, {line.pk: 1})
    with pytest.raises(NotAllowed) as again:
        inspect(request, {line.pk: 1})
    assert again.value.code == "already_inspected"
    assert Refund.objects.filter(order=order).count() == 1


def test_ret4_no_exchange_the_only_outcome_is_a_refund(shop):
    order = shop.order()
    line = shop.line(order)
    orders_before = Order.objects.count()
    request = start(shop, order, {line.pk: 1})
    hand_over(request, now=AFTER + DAY)
    done = inspect(request, {line.pk: 1})
    assert Order.objects.count() == orders_before  # no replacement order, no new shipment
    assert done.refund_minor == 2500
    assert not hasattr(ReturnRequest, "exchange") and "exchange" not in {
        f.name for f in ReturnRequest._meta.fields
    }


def test_ret4_staff_inspection_is_audited(shop):
    from core.models import AuditLog
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    order = shop.order()
    line = shop.line(order)
    request = start(shop, order, {line.pk: 2})
    hand_over(request, now=AFTER + DAY)
    done = inspect(request, {line.pk: 1}, actor=ReturnActor.STAFF, staff=staff)
    assert done.inspected_by == staff
    log = AuditLog.objects.get(action="return.inspect")
    assert log.actor == staff and log.data["refund_minor"] == 2500 and log.data["return"] == request.pk
    with pytest.raises(NotFound):  # not staff
        services.return_inspect(
            request=request, units_good={}, actor=ReturnActor.STAFF, staff=shop.buyer, now=AFTER
        )


# --- RET-4: escrow stays while a return is open ------------------------------------------------------


def test_ret4_open_return_blocks_release_then_releases_after_refund(shop):
    order = shop.order()
    line = shop.line(order)
    request = start(shop, order, {line.pk: 1})
    hand_over(request, now=AFTER + DAY)
    ends = order.protection_ends_at
    with time_machine.travel(ends + SECOND, tick=False):
        deadlines_fire_due(now=clock.now())
    order.refresh_from_db()
    # Completed (or, where completion waits for open returns and disputes, still shipped) …
    assert order.state in (State.COMPLETED, State.SHIPPED)
    assert escrow_of(order).balance_minor == 8000  # … but the money is held: the return is open
    inspect(request, {line.pk: 1}, now=ends + 2 * DAY)
    order.refresh_from_db()
    assert order.state == State.COMPLETED
    assert escrow_of(order).balance_minor == 0  # 25.00 refunded, the rest released to the seller
    seller = Account.objects.get(kind=Account.Kind.SELLER_AVAILABLE, owner_key=f"store:{shop.store.pk}")
    released = 8000 - 2500
    assert seller.balance_minor == released - (released * policy.commission_rate_bp + 5000) // 10000


def test_ret4_return_ending_after_protection_end_completes_a_held_order(shop):
    """The protection-end firing held back by the open return: the order completes when it ends."""
    order = shop.order()
    line = shop.line(order)
    request = start(shop, order, {line.pk: 1})
    hand_over(request, now=AFTER + DAY)
    ends = order.protection_ends_at
    inspect(request, {line.pk: 0}, now=ends - SECOND)  # before the end: nothing completes
    order.refresh_from_db()
    assert order.state == State.SHIPPED and escrow_of(order).balance_minor == 8000
    order2 = shop.order()
    request2 = start(shop, order2, {shop.line(order2).pk: 1})
    hand_over(request2, now=AFTER + DAY)
    inspect(request2, {shop.line(order2).pk: 0}, now=ends + SECOND)
    order2.refresh_from_db()
    assert order2.state == State.COMPLETED and escrow_of(order2).balance_minor == 0
    assert order2.events.filter(kind="protection_ended").exists()


def test_ret4_expired_return_releases_a_completed_order(shop):
    order = shop.order()
    request = start(shop, order)
    Order.objects.filter(pk=order.pk).update(state=State.COMPLETED)  # protection ended meanwhile
    with time_machine.travel(request.code_expires_at + SECOND, tick=False):
        deadlines_fire_due(now=clock.now())
    request.refresh_from_db()
    assert request.state == ReturnState.EXPIRED
    assert escrow_of(order).balance_minor == 0


# --- the code-expiry deadline (RET-3) and the notices (NTF-1) ------------------------------------


def test_ret3_code_expires_one_second_after_its_deadline(shop):
    request = start(shop, shop.order())
    due = request.code_expires_at
    assert due == AFTER + policy.return_code_valid_for
    with time_machine.travel(due - SECOND, tick=False):
        deadlines_fire_due(now=clock.now())
    request.refresh_from_db()
    assert request.state == ReturnState.CODE_ISSUED
    assert Notice.objects.filter(user=shop.buyer, kind="return_code_reminder").count() == 1  # 24 h before
    with time_machine.travel(due + SECOND, tick=False):
        deadlines_fire_due(now=clock.now())
    request.refresh_from_db()
    assert request.state == ReturnState.EXPIRED and request.closed_at is not None
    assert Notice.objects.filter(user=shop.buyer, kind="return_code_expired").exists()
    assert rules.next_return_is_free(request.order)


def test_ret3_dropped_off_return_does_not_expire(shop):
    request = start(shop, shop.order())
    hand_over(request, now=AFTER + DAY)
    assert not Deadline.objects.filter(subject_type="return", status=Status.PENDING).exists()
    deadlines_fire_due(now=request.code_expires_at + DAY)
    request.refresh_from_db()
    assert request.state == ReturnState.DROPPED_OFF


def test_ntf1_buyer_and_seller_are_told(shop):
    order = shop.order()
    line = shop.line(order)
    request = start(shop, order, {line.pk: 2})
    buyer_kinds = lambda: set(Notice.objects.filter(user=shop.buyer).values_list("kind", flat=True))  # noqa: E731
    seller_kinds = lambda: set(Notice.objects.filter(user=shop.seller).values_list("kind", flat=True))  # noqa: E731
    assert "return_code_issued" in buyer_kinds() and "return_started" in seller_kinds()
    code_notice = Notice.objects.get(user=shop.buyer, kind="return_code_issued")
    assert request.return_code in code_notice.subject and request.return_code in code_notice.body
    hand_over(request, now=AFTER + DAY)
    services.return_provider_update(
        provider="parcelpoint",
        event_id="rcv",
        return_code=request.return_code,
        status="received",
        occurred_at=AFTER + 2 * DAY,
        now=AFTER + 2 * DAY,
    )
    assert "return_received" in buyer_kinds() and "return_received" in seller_kinds()
    inspect(request, {line.pk: 1})
    assert "return_refunded" in buyer_kinds() and "return_refunded" in seller_kinds()
    assert "$25.00" in Notice.objects.get(user=shop.buyer, kind="return_refunded").subject


def test_ret3_return_is_on_the_order_timeline(shop):
    order = shop.order()
    start(shop, order)
    assert order.events.filter(kind="return_started").exists()


def test_hlp4_block_explains_and_counts(shop):
    order = shop.order()
    block = selectors.free_return_block(order=order, now=SHIPPED_AT)
    assert block.shown and not block.decision.allowed and block.decision.available_from == RECEIVED_AT
    block = selectors.free_return_block(order=order, now=AFTER)
    assert block.decision.allowed and block.next_is_free and block.provider.slug == "parcelpoint"
    assert [(r.line.pk, r.units_left) for r in block.lines] == [(shop.line(order).pk, 3)]
    plain = shop.order((shop.plain, 1))
    assert not selectors.free_return_block(order=plain, now=AFTER).shown


def test_time_zone_aware_window_edge_crosses_dst(shop):
    """RET-1: the window is 15 × 24 h of real time, whatever the business time zone does (the
    US clocks go back on 1 Nov 2026; receipt here is before another change, 8 Mar 2027)."""
    order = shop.order(now=dt.datetime(2027, 2, 20, 15, 0, tzinfo=dt.UTC))
    end = order.received_at + dt.timedelta(days=15)
    assert rules.check_request_return(order, end - SECOND)
    assert not rules.check_request_return(order, end + SECOND)


def test_ret1_no_return_while_a_dispute_is_open(shop):
    """A dispute already settles the order's refund: the return waits (HLP-4 says why)."""
    from django.apps import apps

    if not apps.is_installed("disputes"):
        pytest.skip("the disputes app is not installed")
    from disputes.services import dispute_open

    order = shop.order()
    dispute_open(
        order=order, buyer=shop.buyer, reason="quality", solution="refund_only", amount_minor=1000,
        description="The stitching came apart.", now=AFTER,
    )
    decision = rules.check_request_return(order, AFTER + SECOND)
    assert not decision and decision.code == "dispute_open"


def test_dsp6_no_dispute_while_a_free_return_is_open(shop):
    """RULE DSP-6 / RET-4: the mirror of the test above — while a Free Return is under way the same
    goods cannot also be claimed in a dispute (one refund path at a time); the page says why."""
    from disputes.rules import check_open_dispute
    from disputes.services import dispute_open

    order = shop.order()
    start(shop, order)
    decision = check_open_dispute(order, AFTER + SECOND, "quality")
    assert not decision and decision.code == "return_open" and decision.rule == "DSP-6"
    with pytest.raises(DomainError):
        dispute_open(
            order=order, buyer=shop.buyer, reason="quality", solution="refund_only", amount_minor=1000,
            description="The stitching came apart.", now=AFTER + SECOND,
        )
