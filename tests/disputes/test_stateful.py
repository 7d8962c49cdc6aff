"""Random dispute histories (hypothesis stateful): whatever the parties, the team and the clock
do, the refunded total never exceeds what was paid (DSP-1, RFD-1), escrow is released only when
no dispute is open (BP-2, DSP-6), at most one dispute is open per order (DSP-6), and every
dispute ends in exactly one terminal state (DSP-2…DSP-5)."""

import contextlib
import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from core.errors import DomainError
from deadlines.worker import deadlines_fire_due
from disputes import services
from disputes.models import Dispute, DisputeEvent
from disputes.states import OPEN, TERMINAL
from ledger.models import Transaction
from ledger.services import release_key
from orders.models import Order
from payments.models import Refund
from tests.disputes.factories import DAY, T0, received_order
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TERMINAL_VALUES = {s.value for s in TERMINAL}


class DisputeMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    @initialize()
    def setup(self):
        self.order = received_order()  # received T0 + 8 days; protection ends 15 days later
        self.staff = UserFactory(is_staff=True)
        self.now = T0 + 9 * DAY

    def teardown(self):
        try:
            self._finish()
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # --- helpers ---

    def _dispute(self) -> Dispute | None:
        return Dispute.objects.filter(order=self.order).order_by("-pk").first()

    def _try(self, action, **kwargs):
        dispute = self._dispute()
        if dispute is None:
            return
        with contextlib.suppress(DomainError):
            action(dispute=dispute, now=self.now, **kwargs)

    def _order(self) -> Order:
        return Order.objects.get(pk=self.order.pk)

    # --- rules ---

    @rule(
        ret=st.booleans(), share=st.integers(1, 100), reason=st.sampled_from(["damaged", "quality", "other"])
    )
    def open(self, ret, share, reason):
        from payments.services import order_refundable_minor

        amount = max(1, order_refundable_minor(self._order()) * share // 100)
        with contextlib.suppress(DomainError):
            services.dispute_open(
                order=self._order(),
                buyer=self.order.buyer,
                reason=reason,
                solution="return_and_refund" if ret else "refund_only",
                amount_minor=amount,
                description="Problem.",
                now=self.now,
            )

    @rule()
    def seller_agree(self):
        self._try(services.dispute_seller_agree, seller=self.order.store.owner)

    @rule(ret=st.booleans(), amount=st.integers(0, 3000))
    def seller_refuse(self, ret, amount):
        self._try(
            services.dispute_seller_refuse,
            seller=self.order.store.owner,
            counter_solution="return_and_refund" if ret else "refund_only",
            counter_amount_minor=amount,
            note="No.",
        )

    @rule(amount=st.integers(1, 3000))
    def buyer_update(self, amount):
        self._try(
            services.dispute_buyer_update, buyer=self.order.buyer, solution="refund_only", amount_minor=amount
        )

    @rule()
    def accept_counter(self):
        self._try(services.dispute_buyer_accept_counter, buyer=self.order.buyer)

    @rule()
    def withdraw(self):
        self._try(services.dispute_withdraw, buyer=self.order.buyer)

    @rule()
    def ship_back(self):
        self._try(
            services.return_tracking_submit, buyer=self.order.buyer, carrier="USPS", tracking_number="R1"
        )

    @rule()
    def delivered(self):
        self._try(services.return_tracking_delivered)

    @rule()
    def confirm_receipt(self):
        self._try(services.return_receipt_confirm, seller=self.order.store.owner)

    @rule()
    def object_receipt(self):
        self._try(services.return_receipt_object, seller=self.order.store.owner, note="Empty box.")

    @rule(party=st.sampled_from(["buyer", "seller"]))
    def ask_evidence(self, party):
        self._try(
            services.team_request_evidence,
            staff=self.staff,
            party=party,
            note="More.",
            due_at=self.now + 2 * DAY,
        )

    @rule(
        outcome=st.sampled_from(["full", "partial", "none"]), ret=st.booleans(), amount=st.integers(1, 3000)
    )
    def decide(self, outcome, ret, amount):
        self._try(
            services.team_decide,
            staff=self.staff,
            outcome=outcome,
            amount_minor=amount,
            with_return=ret and outcome != "none",
            note="Decided.",
        )

    @rule(days=st.sampled_from([1, 3, 5, 6, 11, 31]))
    def time_passes(self, days):
        self.now += dt.timedelta(days=days)
        while deadlines_fire_due(now=self.now):
            pass

    # --- invariants ---

    @invariant()
    def refunds_never_exceed_the_payment(self):
        refunded = sum(
            Refund.objects.filter(order=self.order)
            .exclude(state=Refund.State.FAILED)
            .values_list("amount_minor", flat=True)
        )
        assert refunded <= self.order.total_minor

    @invariant()
    def released_only_without_an_open_dispute(self):
        if Transaction.objects.filter(idempotency_key=release_key(self.order)).exists():
            assert not Dispute.objects.filter(order=self.order, is_open=True).exists()

    @invariant()
    def one_open_dispute_and_states_agree(self):
        disputes = list(Dispute.objects.filter(order=self.order))
        assert sum(d.is_open for d in disputes) <= 1
        for dispute in disputes:
            terminal_events = DisputeEvent.objects.filter(
                dispute=dispute, to_state__in=TERMINAL_VALUES
            ).count()
            if dispute.is_open:
                assert dispute.state in {s.value for s in OPEN} and terminal_events == 0
            else:
                assert dispute.state in TERMINAL_VALUES and terminal_events == 1 and dispute.closed_at

    def _finish(self):
        """Let time and the team end every dispute: each ends in exactly one terminal state."""
        for _ in range(12):
            open_ = Dispute.objects.filter(order=self.order, is_open=True).first()
            if open_ is None:
                break
            if open_.state in ("team_review", "awaiting_evidence"):
                services.team_decide(
                    dispute=open_, staff=self.staff, outcome="none", note="End.", now=self.now
                )
            else:
                self.now += dt.timedelta(days=31)
                while deadlines_fire_due(now=self.now):
                    pass
        self.one_open_dispute_and_states_agree()
        assert not Dispute.objects.filter(order=self.order, is_open=True).exists()
        self.now += dt.timedelta(days=40)
        while deadlines_fire_due(now=self.now):
            pass
        order = self._order()
        assert order.state == "completed"  # protection over, no dispute open: completed (BP-2)
        self.refunds_never_exceed_the_payment()


def test_dsp_bp2_random_dispute_histories_keep_their_invariants(db):
    run_state_machine_as_test(
        DisputeMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
