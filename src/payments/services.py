"""Payment and refund services (minimal: the payments issue completes them)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db.models import Sum
from django.utils.translation import gettext

from core.errors import Conflict, DomainError
from core.money import Money, format_money
from deadlines.batch import at_batch_end, enqueue
from deadlines.batch import current as current_batch
from deadlines.rows import rows_insert_unless_exist
from payments.models import Payment, Refund


def refunded_minor(refunds) -> int:
    """What `refunds` (of one order) gave back, failed refunds left out."""
    return sum(r.amount_minor for r in refunds if r.state != Refund.State.FAILED)


def order_refundable_minor(order, refunds=None) -> int:
    """RFD-1: what was paid for the order minus what was already refunded (`refunds`: the
    order's refunds when already loaded; otherwise the database sums them)."""
    if not order.paid_at:
        return 0
    if refunds is None:
        refunded = order.refunds.exclude(state=Refund.State.FAILED).aggregate(s=Sum("amount_minor"))["s"] or 0
    else:
        refunded = refunded_minor(refunds)
    return max(0, order.total_minor - refunded)


def refund_order_full(*, order, reason: str, event_key: str, now: dt.datetime) -> Refund | None:
    """Refund everything still refundable on `order`, once per `event_key`.

    The Refund row and its task are written in the caller's transaction: both
    commit or neither does. Nothing is refunded for an unpaid order.

    A deadline batch that locked the order loaded its refunds already (its data "refunds",
    see orders.deadline_handlers.prepare_orders); in a firing the refund is then written at
    the end of the batch, and returned before that without its pk. The payment the refund
    returns to is looked up by the database inside the INSERT.
    """
    if not order.paid_at:  # nothing was paid, so no refund was ever made for it either
        return None
    reason = str(reason)  # a lazily translated label (CloseReason) is written as its text
    batch = current_batch()
    known = batch.data("order", order.pk) if batch is not None else None
    refunds = known["refunds"] if known is not None and "refunds" in known else list(order.refunds.all())
    for refund in refunds:
        if refund.idempotency_key == event_key:
            return refund
    amount = order_refundable_minor(order, refunds)
    if amount <= 0:
        return Refund.objects.filter(idempotency_key=event_key).first()
    # RFD-1: where each part goes (PAY-4): the balance-paid part back to the balance, the
    # rest where the payment method sends it; one Refund row per part.
    parts = refund_parts(order=order, amount_minor=amount, refunds=refunds)
    new = [
        Refund(
            order=order,
            payment=payment,
            amount_minor=part,
            currency=order.currency,
            destination=destination,
            reason=reason,
            idempotency_key=_part_key(event_key, i),
            created_at=now,
        )
        for i, (destination, part, payment) in enumerate(parts)
    ]
    if known is not None and "refunds" in known:
        known["refunds"].extend(new)  # keep the batch's view of the order's refunds exact
        if batch.deferring and batch.firing is not None:
            # A deadline firing: written with the batch's other refunds in one INSERT at its
            # end, then drawn from the escrow and queued (its pk is set then). The provider
            # clearing account every refund moves is so locked only for the moment of the
            # batch's commit, not from the first closing on (other workers and checkouts wait
            # on it). A refusal there fires the batch again, this closing failing alone.
            for refund in new:
                at_batch_end("payments.refunds", _refunds_write, (refund, {}, now))
            return new[0]
    created = rows_insert_unless_exist(new, unique=["idempotency_key"], subqueries=[{} for _ in new])
    if not created:
        return Refund.objects.get(idempotency_key=event_key)  # another order's event used this key
    _refunds_draw_and_queue([(refund, now) for refund in created])
    return created[0] if created[0].idempotency_key == event_key else new[0]


def _refunds_write(items: list[tuple[Refund, dict, dt.datetime]]) -> None:
    created = rows_insert_unless_exist(
        [refund for refund, _, _ in items], unique=["idempotency_key"], subqueries=[p for _, p, _ in items]
    )
    written = {id(refund) for refund in created}
    _refunds_draw_and_queue([(refund, now) for refund, _, now in items if id(refund) in written])


def _refunds_draw_and_queue(items: list[tuple[Refund, dt.datetime]]) -> None:
    """RFD-1: each new refund is drawn from its order's escrow (or refused, which rolls the
    whole transaction back), then its provider call is queued (outbox)."""
    from ledger.services import ledger_refunds
    from payments.tasks import refund_execute

    by_time: dict[dt.datetime, list[Refund]] = {}
    for refund, now in items:
        by_time.setdefault(now, []).append(refund)
    for now, refunds in by_time.items():  # a batch's refunds share their time: one posting of all
        ledger_refunds(refunds=refunds, now=now)
    for refund, _ in items:
        enqueue(refund_execute, refund.pk)


def refund_order_amount(
    *, order, amount_minor: int, reason: str, event_key: str, now: dt.datetime, destination: str = ""
) -> Refund:
    """A partial (or full) refund of `amount_minor` on a paid order, once per `event_key` (RFD-1).

    The order row is locked first; the amount may not exceed what was paid minus what was
    already refunded, and the ledger draws it from the order's escrow in the same
    transaction (refused once the payment was released). `destination` defaults to the
    original card or account (PAY-4).
    """
    from django.db import transaction

    from orders.models import Order

    fields = {}
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        fields["amount_minor"] = ["Give a positive whole number of minor units."]
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        fields["reason"] = ["Give a reason of 1–200 characters."]
    if not event_key or len(event_key) > 100:
        fields["event_key"] = ["Give an idempotency key of 1–100 characters."]
    if destination and destination not in Refund.Destination.values:
        fields["destination"] = [f"One of: {', '.join(Refund.Destination.values)}."]
    if fields:
        raise DomainError(gettext(
            "Some fields are invalid."), code="validation_error", fields=fields, status=422)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk if hasattr(order, "pk") else order)
        existing = Refund.objects.filter(idempotency_key=event_key).first()
        if existing is not None:
            if existing.order_id != locked.pk or (
                existing.amount_minor != amount_minor
                and sum(r.amount_minor for r in _parts_of(existing)) != amount_minor
            ):
                raise Conflict(gettext(
                    "This refund key was already used for another refund."), code="key_reused")
            return existing
        refundable = order_refundable_minor(locked)
        if amount_minor > refundable:
            left = format_money(Money(refundable, locked.currency))
            message = gettext("At most %(left)s of this order can still be refunded.") % {"left": left}
            raise DomainError(
                message, code="refund_too_large", fields={"amount_minor": [message]}, status=409
            )
        parts = refund_parts(order=locked, amount_minor=amount_minor, refunds=list(locked.refunds.all()))
        if destination:  # an explicit destination (staff) overrides PAY-4 for the whole amount
            parts = [(destination, amount_minor, parts[0][2])]
        created = [
            Refund.objects.create(
                order=locked,
                payment=payment,
                amount_minor=part,
                currency=locked.currency,
                destination=part_destination,
                reason=reason,
                idempotency_key=_part_key(event_key, i),
                created_at=now,
            )
            for i, (part_destination, part, payment) in enumerate(parts)
        ]
        _refunds_draw_and_queue([(refund, now) for refund in created])
        return created[0]


# --- RFD-1: where a refund goes (PAY-4) ----------------------------------------------------------


def _part_key(event_key: str, index: int) -> str:
    """The first part of a refund keeps the event's key; a second part (the rest, when part
    of the order was paid from the balance) gets a key derived from it."""
    if index == 0:
        return event_key
    suffix = f":part{index + 1}"
    if len(event_key) + len(suffix) <= 100:
        return event_key + suffix
    return f"{hashlib.sha256(event_key.encode()).hexdigest()[:60]}{suffix}"


def _parts_of(refund: Refund) -> list[Refund]:
    keys = [refund.idempotency_key, _part_key(refund.idempotency_key, 1)]
    return list(Refund.objects.filter(order_id=refund.order_id, idempotency_key__in=keys))


def order_payments(order) -> tuple[Payment | None, Payment | None]:
    """The succeeded payments that paid `order`: (the payment method's, the balance's)."""
    from payments.methods import BALANCE

    if not order.checkout_id:
        return None, None
    batch = current_batch()
    known = batch.data("order", order.pk) if batch is not None else None
    if known is not None and "payments" in known:  # a deadline batch loaded them with the order
        payments = known["payments"]
    else:
        payments = Payment.objects.filter(
            checkout_id=order.checkout_id,
            currency=order.currency,
            state__in=[Payment.State.SUCCEEDED, Payment.State.PENDING],
        ).order_by("pk")
    main = balance = None
    pending_parts = {}
    for payment in payments:
        if payment.state == Payment.State.PENDING:
            if payment.method == BALANCE:
                pending_parts[payment.idempotency_key] = payment
        elif payment.method == BALANCE:
            balance = balance or payment
        else:
            main = main or payment
    if balance is None and main is not None:
        # The rest succeeded by another path (e.g. an approved appeal, PAY-3) before the
        # balance part was settled: that part was spent all the same.
        balance = pending_parts.get(balance_key(main.idempotency_key))
    return main, balance


def order_balance_share(order, balance_payment: Payment | None) -> int:
    """The part of `order` paid from the buyer's balance: a balance payment covers the orders of
    its checkout and currency in order of their number (pk), each in full before the next."""
    if balance_payment is None:
        return 0
    from orders.models import Order

    left = balance_payment.amount_minor
    for pk, total in (
        Order.objects.filter(checkout_id=order.checkout_id, currency=order.currency, paid_at__isnull=False)
        .order_by("pk")
        .values_list("pk", "total_minor")
    ):
        share = min(left, total)
        if pk == order.pk:
            return share
        left -= share
    return 0


def refund_parts(*, order, amount_minor: int, refunds: list[Refund]) -> list[tuple[str, int, Payment | None]]:
    """RFD-1: split a refund of `amount_minor` by destination: what the buyer paid from their
    platform balance goes back to the balance first, the rest where the payment method's
    refunds go (payments.methods: original account, balance, or a coupon for cash on delivery).
    Returns [(destination, amount, payment)], no zero parts."""
    from payments.methods import refund_destination_of

    main, balance = order_payments(order)
    parts = []
    if balance is not None:
        given_back = refunded_minor(r for r in refunds if r.payment_id == balance.pk)
        part = min(amount_minor, max(0, order_balance_share(order, balance) - given_back))
        if part > 0:
            parts.append((Refund.Destination.BALANCE, part, balance))
    rest = amount_minor - sum(p for _, p, _ in parts)
    if rest > 0 or not parts:
        destination = refund_destination_of(main.method) if main else Refund.Destination.ORIGINAL
        parts.append((destination, rest, main))
    return parts


def refund_coupon_issue(*, refund: Refund, now: dt.datetime):
    """A cash-on-delivery refund becomes a coupon of the same amount for the buyer (PAY-4), once."""
    from payments.models import RefundCoupon

    coupon = RefundCoupon.objects.filter(refund=refund).first()
    if coupon is None:
        coupon = RefundCoupon.objects.create(
            refund=refund,
            owner_id=refund.order.buyer_id,
            code=f"RF-{secrets.token_hex(6).upper()}",
            amount_minor=refund.amount_minor,
            currency=refund.currency,
            created_at=now,
        )
    return coupon


def refund_arrival_window(refund: Refund) -> tuple[dt.datetime, dt.datetime]:
    """RFD-2: the earliest and latest arrival, in business days from the refund's time."""
    from core.calendar import add_business_days
    from core.policy import policy

    start = refund.processed_at or refund.created_at
    return (
        add_business_days(start, policy.refund_arrival_min_days),
        add_business_days(start, policy.refund_arrival_max_days),
    )


# --- the buyer's platform balance, spent at checkout -------------------------------------------------


def balance_key(payment_key: str) -> str:
    return f"{payment_key}:balance"


def balance_spend(*, checkout, currency: str, due_minor: int, payment_key: str, now: dt.datetime):
    """Take up to `due_minor` from the buyer's platform balance in `currency` for the pay
    attempt `payment_key`, once: the balance account is locked and never goes below zero.

    The money moves straight from buyer_balance into the escrow of the orders it pays (the
    checkout's unpaid orders in that currency, in order of their number, each in full before
    the next — what order_balance_share reads later), one capture transaction per order keyed
    "balance:<payment key>:order:<order id>"; the order's own capture then takes only the rest
    from the provider (ledger_capture_order). Returns the balance Payment, PENDING until the
    caller applies it (it covers everything) or the rest of the amount is paid (see
    balance_part_settle), or None when the balance is empty."""
    from django.db import IntegrityError, transaction

    from ledger.models import Account, Transaction
    from ledger.services import Posting, account_get, ledger_post_many
    from orders.states import State
    from payments.methods import BALANCE

    key = balance_key(payment_key)
    existing = Payment.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    if isinstance(due_minor, bool) or not isinstance(due_minor, int) or due_minor <= 0:
        raise DomainError(
            gettext("Nothing to pay from the balance."), code="validation_error",
            fields={"amount_minor": ["Give a positive whole number of minor units."]}, status=422,
        )
    orders = list(
        checkout.orders.filter(currency=currency, state=State.AWAITING_PAYMENT).order_by("pk")
    )
    account = account_get(kind=Account.Kind.BUYER_BALANCE, currency=currency, user=checkout.buyer_id, now=now)
    try:
        with transaction.atomic():
            held = Account.objects.select_for_update().get(pk=account.pk).balance_minor
            spend = min(held, due_minor, sum(o.total_minor for o in orders))
            if spend <= 0:
                return None
            payment = Payment.objects.create(
                checkout=checkout,
                method=BALANCE,
                provider=BALANCE,
                amount_minor=spend,
                currency=currency,
                idempotency_key=key,
                created_at=now,
            )
            postings, left = [], spend
            for order in orders:
                share = min(left, order.total_minor)
                left -= share
                if share <= 0:
                    break
                escrow = account_get(kind=Account.Kind.ORDER_ESCROW, currency=currency, order=order, now=now)
                postings.append(Posting(
                    key=f"balance:{key}:order:{order.pk}",
                    kind=Transaction.Kind.CAPTURE,
                    accounts=[account, escrow],
                    build=lambda _, escrow=escrow, share=share: [(account, -share), (escrow, share)],
                    now=now,
                    memo=f"Paid from the buyer's balance for order {order.number}",
                    order_id=order.pk,
                ))
            ledger_post_many(postings)
    except IntegrityError:
        return Payment.objects.get(idempotency_key=key)
    return payment


def balance_part_settle(*, payment: Payment, now: dt.datetime) -> Payment | None:
    """The rest of a pay attempt that also spent balance has ended: the balance part succeeds
    with it, or (declined) is given back to the balance: each order's escrow returns its share
    by a reversing entry."""
    from django.db.models import Q

    from ledger.models import Transaction
    from ledger.services import ledger_reverse

    part = Payment.objects.select_for_update().filter(
        idempotency_key=balance_key(payment.idempotency_key), state=Payment.State.PENDING
    ).first()
    if part is None:
        return None
    if payment.state == Payment.State.SUCCEEDED:
        part.state, part.succeeded_at = Payment.State.SUCCEEDED, now
    elif payment.state == Payment.State.FAILED:
        part.state, part.failure_code = Payment.State.FAILED, payment.failure_code or "payment_failed"
        prefix = f"balance:{part.idempotency_key}"
        spent = Transaction.objects.filter(
            Q(idempotency_key=prefix) | Q(idempotency_key__startswith=f"{prefix}:order:"),
            reverses__isnull=True,
        ).exclude(kind=Transaction.Kind.REVERSAL).order_by("pk")
        for posted in spent:
            ledger_reverse(
                transaction=posted, key=f"{posted.idempotency_key}:returned", now=now,
                memo="The rest of the payment failed; the balance is given back",
            )
    else:
        return part
    part.save()
    return part


def payment_mark_received(*, payment: Payment, now: dt.datetime) -> Payment:
    """Staff (or the test suite) saw the money of a bank transfer / cash / Boleto / Western Union
    payment arrive: the simulated provider sends its signed webhook, which settles the payment
    through the same receiver as any provider's (PAY-4)."""
    from payments.methods import LATER, METHODS
    from payments.providers.simulated import NAME, offline_payment_received

    method = METHODS.get(payment.method)
    if payment.provider != NAME or method is None or method.confirms != LATER:
        raise DomainError(
            gettext("Only a bank transfer, cash, Boleto or Western Union payment is marked as received."),
            code="not_offline_payment", status=409,
        )
    if payment.state != Payment.State.PROCESSING:
        raise Conflict(gettext("This payment is not waiting for its money."), code="not_processing")
    offline_payment_received(payment_ref=payment.provider_ref, payment_key=payment.idempotency_key)
    payment.refresh_from_db()
    return payment


# --- reads for the pay page and the order page (PAY-4, DSP-7) --------------------------------------


def buyer_balance_minor(*, user, currency: str) -> int:
    from ledger.models import Account

    account = Account.objects.filter(kind=Account.Kind.BUYER_BALANCE, user=user, currency=currency).first()
    return account.balance_minor if account else 0


def order_paid_with(order) -> list[str]:
    """The payment method codes that paid `order` (e.g. ["balance", "paypal"])."""
    main, balance = order_payments(order)
    return [p.method for p in (balance, main) if p is not None]


# --- PAY-4: a payment made outside the site that never arrives -----------------------------------------

OFFLINE_EXPIRY = "payment_offline_expiry"  # deadline kind, subject "payment"


def offline_payment_arm(*, payment: Payment, now: dt.datetime) -> None:
    """A bank transfer / cash / Boleto / Western Union payment now waits for its money: it
    expires after policy.offline_payment_window business days (then its orders close)."""
    from core.calendar import add_business_days
    from core.policy import policy
    from deadlines.services import deadline_arm
    from payments.methods import LATER, METHODS

    method = METHODS.get(payment.method)
    if method is None or method.confirms != LATER or payment.state != Payment.State.PROCESSING:
        return
    deadline_arm(
        kind=OFFLINE_EXPIRY, subject_type="payment", subject_id=payment.pk,
        armed_state=Payment.State.PROCESSING,
        due_at=add_business_days(now, policy.offline_payment_window), now=now,
    )


def offline_payment_expire(*, payment_id: int, now: dt.datetime) -> str:
    """The deadline fired: a payment still waiting for its money fails, and its orders close
    as not paid in time (ORD-3). Anything else is skipped."""
    from orders.models import Order
    from orders.services import order_close
    from orders.states import Actor, CloseReason, State
    from payments.models import SimulatedCharge

    payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
    if payment is None or payment.state != Payment.State.PROCESSING:
        return f"skipped: payment is {payment.state if payment else 'gone'}"
    SimulatedCharge.objects.filter(ref=payment.provider_ref).update(status="failed")
    payment.state, payment.failure_code = Payment.State.FAILED, "payment_failed"
    payment.save(update_fields=["state", "failure_code"])
    balance_part_settle(payment=payment, now=now)  # a balance part is given back
    closed = 0
    for order in Order.objects.filter(
        checkout_id=payment.checkout_id, currency=payment.currency, state=State.PAYMENT_PROCESSING
    ).order_by("pk"):
        order_close(
            order=order, actor=Actor.SYSTEM, close_reason=CloseReason.PAYMENT_TIMEOUT, now=now,
            reason="The payment did not arrive in time",
        )
        closed += 1
    return f"expired, {closed} order{'s' if closed != 1 else ''} closed"
