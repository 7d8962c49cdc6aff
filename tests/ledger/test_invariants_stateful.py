"""The ledger's invariants under random sequences of pay/capture, partial refunds, closing,
shipping, time passing (deadlines: ship-by closings, protection end releases, appeal document
limits), replays, failed refunds and card verification appeals (PAY-3: a payment flagged for
verification, documents sent, approved, rejected or expired; part of it maybe paid from the
buyer's balance), checked after every step (hypothesis stateful, 200 examples).

RULE RFD-1: refunds never exceed captured − refunded; RULE BP-2: release at most once and
never after a full refund; RULE PAY-5: replays post nothing; RULE PAY-3: an unpaid (verifying,
rejected, expired) order holds only what the balance put in, and gives it back when it
closes; every transaction sums to zero; cached balances equal the balances recomputed from
the journal.
"""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from appeals.models import Appeal, AppealState
from appeals.services import appeal_approve, appeal_documents_submit, appeal_reject
from cart.models import CartLine
from core.errors import DomainError
from deadlines.worker import deadlines_fire_due
from ledger.models import Account, Transaction
from ledger.selectors import ledger_problems, order_ledger
from ledger.services import (
    account_get,
    ledger_capture_order,
    ledger_post,
    ledger_refund_failed,
    ledger_release_order,
)
from orders.models import Order
from orders.services import checkout_pay, checkout_place, order_close, order_mark_shipped
from orders.states import Actor, CloseReason, State
from payments.models import Payment, Refund
from payments.providers.simulated import card_tokenise
from payments.services import refund_order_amount
from tests.appeals.conftest import VERIFY_CARD, jpeg, pdf, png
from tests.factories import UserFactory
from tests.ledger.conftest import T0, Shop, place_and_pay

pytestmark = pytest.mark.django_db


class LedgerMachine(RuleBasedStateMachine):
    shop: Shop  # set by the test, shared by every example (each example rolls back)

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.now = T0
        self.keys = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _key(self) -> str:
        self.keys += 1
        return f"h{self.keys}"

    def _tick(self, seconds=60):
        self.now += dt.timedelta(seconds=seconds)
        return self.now

    @initialize(two_stores=st.booleans(), flagged=st.booleans(), from_balance=st.sampled_from([0, 500]))
    def pay(self, two_stores, flagged, from_balance):
        variants = [self.shop.variant, self.shop.other_variant] if two_stores else [self.shop.variant]
        if not flagged and not from_balance:
            orders = place_and_pay(self.shop.buyer, self.shop.address, *variants, now=self.now)
            self.orders = [o.pk for o in orders]
            return
        buyer = self.shop.buyer
        if from_balance:  # a goodwill credit the buyer spends on this checkout (PAY-4)
            platform = account_get(kind=Account.Kind.PLATFORM_DISCOUNTS, currency="USD", now=self.now)
            balance = account_get(kind=Account.Kind.BUYER_BALANCE, currency="USD", user=buyer, now=self.now)
            ledger_post(key="credit", kind=Transaction.Kind.ADJUSTMENT, now=self.now,
                        lines=[(platform, -from_balance), (balance, from_balance)])
        for variant in variants:
            CartLine.objects.create(
                user=buyer, variant=variant, quantity=1, price_seen_minor=variant.price_minor
            )
        checkout = checkout_place(buyer=buyer, address=self.shop.address, idempotency_key=self._key(),
                                  now=self.now)
        number = VERIFY_CARD if flagged else "4242424242424242"  # PAY-3: flagged for verification
        token = card_tokenise(number=number, exp_month=12, exp_year=2030, now=self.now).token
        checkout_pay(checkout=checkout, token=token, idempotency_key=self._key(), now=self.now,
                     use_balance=bool(from_balance))
        self.orders = list(checkout.orders.order_by("pk").values_list("pk", flat=True))
        event(f"paid: flagged={flagged} balance={from_balance}")

    def _appeal(self, i, state) -> Appeal | None:
        appeals = list(Appeal.objects.filter(orders__in=self.orders, state=state).distinct().order_by("pk"))
        return appeals[i % len(appeals)] if appeals else None

    @rule(i=st.integers(0, 1))
    def send_documents(self, i):
        appeal = self._appeal(i, AppealState.AWAITING_DOCUMENTS)
        if appeal is not None:
            appeal_documents_submit(appeal=appeal, buyer=self.shop.buyer, now=self._tick(), files=[
                ("id_document", jpeg()), ("card_photo", png()), ("bank_statement", pdf()),
            ])

    @rule(i=st.integers(0, 1), approve=st.booleans())
    def decide(self, i, approve):
        """Staff decide an appeal under review (or one whose documents arrive right now)."""
        appeal = self._appeal(i, AppealState.UNDER_REVIEW)
        if appeal is None:
            self.send_documents(i)
            appeal = self._appeal(i, AppealState.UNDER_REVIEW)
        if appeal is not None:
            decide = appeal_approve if approve else appeal_reject
            decide(appeal=appeal, staff=self.staff, note="Checked", now=self._tick())
            event("appeal approved" if approve else "appeal rejected")

    def _order(self, i) -> Order:
        return Order.objects.get(pk=self.orders[i % len(self.orders)])

    @rule(i=st.integers(0, 1), percent=st.sampled_from([1, 10, 33, 50, 100, 101]),
          destination=st.sampled_from(["original", "balance", "coupon"]))
    def partial_refund(self, i, percent, destination):
        order = self._order(i)
        amount = max(1, order.total_minor * percent // 100)
        left = order.total_minor - order_ledger(order)["refunded"] - order_ledger(order)["released"]
        try:
            refund_order_amount(order=order, amount_minor=amount, reason="Partial refund",
                                event_key=self._key(), now=self._tick(), destination=destination)
        except DomainError:
            assert amount > left or not order.paid_at  # RFD-1; nothing was paid yet (PAY-3)
        else:
            assert amount <= left

    @rule(i=st.integers(0, 1))
    def close(self, i):
        order = self._order(i)
        if order.state == State.AWAITING_SHIPMENT:
            order_close(order=order, actor=Actor.SELLER,
                        close_reason=CloseReason.CANCELLED_BY_SELLER_AGREEMENT, now=self._tick())

    @rule(i=st.integers(0, 1))
    def ship(self, i):
        order = self._order(i)
        if order.state == State.AWAITING_SHIPMENT:
            order_mark_shipped(order=order, seller=order.store.owner, carrier="Thailand Post",
                               tracking_number="TH1", now=self._tick())

    @rule(days=st.sampled_from([1, 10, 40, 80]))
    def time_passes(self, days):
        deadlines_fire_due(now=self._tick(days * 86_400))

    @rule(i=st.integers(0, 1))
    def replay(self, i):
        """A webhook or deadline delivered again posts nothing new (PAY-5)."""
        order = self._order(i)
        if not order.paid_at:
            return  # no capture ever came for it
        before = Transaction.objects.count()
        capture = ledger_capture_order(order=order, now=self._tick())
        assert capture is None or not capture.created
        if order.state == State.COMPLETED:
            release = ledger_release_order(order=order, now=self.now)
            assert release is None or not release.created
        assert Transaction.objects.count() == before

    @rule(data=st.data())
    def refund_fails(self, data):
        pending = list(
            Refund.objects.filter(order_id__in=self.orders, state=Refund.State.PENDING).order_by("pk")
        )
        if pending:
            failed = data.draw(st.sampled_from(pending))
            Refund.objects.filter(pk=failed.pk).update(state=Refund.State.FAILED)  # the provider's answer
            ledger_refund_failed(refund=failed, now=self._tick())

    @invariant()
    def ledger_holds(self):
        if not hasattr(self, "orders"):
            return
        assert ledger_problems() == []  # sums to zero, one currency, cached == recomputed
        for pk in self.orders:
            order = Order.objects.get(pk=pk)
            money = order_ledger(order)
            escrow = Account.objects.filter(kind="order_escrow", order=order).first()
            if not order.paid_at:  # being verified, or closed unpaid (rejected, expired): PAY-3
                assert money["refunded"] == money["released"] == 0
                assert money["held"] == money["captured"] == (escrow.balance_minor if escrow else 0)
                if order.state == State.CLOSED:
                    assert money["held"] == 0  # what the balance put in went back to it
                else:
                    assert order.state == State.PAYMENT_VERIFYING
                continue
            refunded_rows = sum(
                r.amount_minor for r in Refund.objects.filter(order=order).exclude(state=Refund.State.FAILED)
            )
            assert money["captured"] == order.total_minor  # paid: captured once
            assert money["refunded"] == refunded_rows
            assert 0 <= money["refunded"] <= money["captured"]  # RFD-1
            assert money["held"] == money["captured"] - money["refunded"] - money["released"] >= 0
            releases = Transaction.objects.filter(order=order, kind="release").count()
            assert releases <= 1  # BP-2
            if releases:
                assert order.state == State.COMPLETED and money["released"] > 0
                assert money["refunded"] < money["captured"]  # never after a full refund
            assert escrow.balance_minor == money["held"]
        for appeal in Appeal.objects.filter(orders__in=self.orders).distinct():
            payment = Payment.objects.get(pk=appeal.payment_id)
            expected = {
                AppealState.APPROVED: Payment.State.SUCCEEDED,
                AppealState.REJECTED: Payment.State.FAILED,
                AppealState.EXPIRED: Payment.State.FAILED,
            }.get(appeal.state, Payment.State.VERIFYING)
            assert payment.state == expected
            event(f"appeal {appeal.state}")  # see --hypothesis-show-statistics


def test_RFD_1_BP_2_PAY_5_ledger_invariants_hold_for_random_sequences(db):
    LedgerMachine.shop = Shop()
    LedgerMachine.staff = UserFactory(is_staff=True)
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=200,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
