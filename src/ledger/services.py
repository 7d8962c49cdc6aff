"""Ledger writes (RFD-1, BP-2, PAY-5): balanced, idempotent, append-only money movements.

`ledger_post` is the one function that writes the journal. It refuses unbalanced,
mixed-currency, empty and zero transactions; a key already used returns the existing
transaction (and writes nothing); it locks every account it touches in id order
(SELECT … FOR UPDATE), so concurrent postings cannot deadlock, and moves the cached
balances with `UPDATE … SET balance_minor = balance_minor + x` in the same transaction.

The flows on top of it name their key after the event that causes them, so a deadline
fired twice or a webhook delivered three times posts once:

- capture  "capture:order:<order id>"  provider_clearing → order_escrow
- refund   "refund:<refund id>"        order_escrow → provider_clearing (card, PayPal, local
                                       methods), buyer_balance (balance destinations) or
                                       platform_discounts (a coupon, cash on delivery)
- failed   "refund:<refund id>:failed" reverses the refund's draw (money back in escrow)
- release  "release:order:<order id>"  order_escrow → seller_available, minus the commission
                                       (policy.commission_rate_bp) → platform_revenue

Callers that hold an order lock it before calling (orders are always locked before
ledger accounts). Every function runs inside the caller's database transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F

from core.errors import Conflict, DomainError
from core.money import Money, UnknownCurrency, format_money, get_currency
from core.policy import policy
from ledger.models import Account, Entry, Transaction

Kind = Account.Kind
Line = tuple[Account, int]
KEY_MAX = Transaction._meta.get_field("idempotency_key").max_length


def _invalid(message: str, field: str, code: str = "invalid") -> DomainError:
    return DomainError(message, code=code, fields={field: [message]}, status=422)


# --- accounts ---------------------------------------------------------------------------------


def _owner_key(*, order=None, store=None, user=None) -> str:
    if order is not None:
        return f"order:{getattr(order, 'pk', order)}"
    if store is not None:
        return f"store:{getattr(store, 'pk', store)}"
    if user is not None:
        return f"user:{getattr(user, 'pk', user)}"
    return ""


def account_get(*, kind: str, currency: str, now: dt.datetime, order=None, store=None, user=None) -> Account:
    """The account of `kind` for its owner in `currency`, created on first use.

    Two first uses at once both end with the one row the unique constraint lets in.
    """
    try:
        get_currency(currency)
    except UnknownCurrency:
        raise _invalid(f"Unknown currency {currency!r}.", "currency", "unknown_currency") from None
    owner_key = _owner_key(order=order, store=store, user=user)
    lookup = {"kind": kind, "owner_key": owner_key, "currency": currency}
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(
                **lookup,
                order_id=getattr(order, "pk", order),
                store_id=getattr(store, "pk", store),
                user_id=getattr(user, "pk", user),
                created_at=now,
            )
    except IntegrityError:
        return Account.objects.get(**lookup)


def accounts_lock(accounts: Iterable[Account]) -> dict[int, Account]:
    """Lock the accounts in id order (the one order every posting uses) and return fresh rows."""
    ids = sorted({a.pk for a in accounts})
    return {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def escrow_of(order) -> Account | None:
    """The order's escrow account, or None if nothing was ever captured for it."""
    return Account.objects.filter(kind=Kind.ORDER_ESCROW, owner_key=_owner_key(order=order)).first()


# --- the journal --------------------------------------------------------------------------------


def _check_lines(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise _invalid("A transaction needs at least two entries.", "lines", "too_few_entries")
    seen = set()
    for account, amount in lines:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise _invalid("Amounts are whole numbers of minor units.", "lines")
        if amount == 0:
            raise _invalid("An entry of zero moves no money; leave it out.", "lines", "zero_amount")
        if account.pk is None or account.pk in seen:
            raise _invalid("Each account appears once in a transaction.", "lines", "duplicate_account")
        seen.add(account.pk)
    if len({account.currency for account, _ in lines}) != 1:
        raise _invalid("A transaction moves money in one currency only.", "lines", "mixed_currency")
    if sum(amount for _, amount in lines) != 0:
        raise _invalid("The entries of a transaction must sum to zero.", "lines", "unbalanced")


def _existing(key: str, kind: str, lines: Sequence[Line]) -> Transaction | None:
    """The transaction already posted under `key`; a different movement under it is refused."""
    found = Transaction.objects.filter(idempotency_key=key).first()
    if found is None:
        return None
    posted = sorted(found.entries.values_list("account_id", "amount_minor"))
    if found.kind != kind or posted != sorted((a.pk, amount) for a, amount in lines):
        raise Conflict(
            "This idempotency key was already used for a different money movement.",
            code="idempotency_key_reused",
            fields={"key": ["Already used for a different movement."]},
        )
    found.created = False
    return found


def ledger_post(
    *,
    key: str,
    kind: str,
    lines: Sequence[Line],
    memo: str = "",
    now: dt.datetime,
    order=None,
    reverses: Transaction | None = None,
) -> Transaction:
    """Post one balanced transaction, once per `key` (PAY-5). Returns it; `.created` tells
    whether this call wrote it."""
    if not isinstance(key, str) or not key or len(key) > KEY_MAX:
        raise _invalid(f"Give an idempotency key of 1–{KEY_MAX} characters.", "key")
    if kind not in Transaction.Kind.values:
        raise _invalid("Unknown kind of transaction.", "kind")
    lines = list(lines)
    _check_lines(lines)
    found = _existing(key, kind, lines)
    if found is not None:
        return found
    with transaction.atomic():
        locked = accounts_lock(account for account, _ in lines)
        found = _existing(key, kind, lines)  # posted while we waited for the locks
        if found is not None:
            return found
        try:
            with transaction.atomic():
                posted = Transaction.objects.create(
                    idempotency_key=key,
                    kind=kind,
                    memo=(memo or "")[:300],
                    currency=lines[0][0].currency,
                    order=order,
                    reverses=reverses,
                    created_at=now,
                )
        except IntegrityError:
            found = _existing(key, kind, lines)
            if found is not None:
                return found
            raise  # e.g. the transaction it reverses was reversed already
        Entry.objects.bulk_create(
            [Entry(transaction=posted, account=account, amount_minor=amount) for account, amount in lines]
        )
        for account, amount in lines:
            Account.objects.filter(pk=account.pk).update(balance_minor=F("balance_minor") + amount)
            account.balance_minor = locked[account.pk].balance_minor + amount
    posted.created = True
    return posted


def ledger_reverse(*, transaction: Transaction, key: str, now: dt.datetime, memo: str = "") -> Transaction:
    """Correct a transaction by posting its mirror image; a transaction is reversed at most once."""
    already = Transaction.objects.filter(reverses=transaction).first()
    if already is not None:
        if already.idempotency_key == key:
            already.created = False
            return already
        raise Conflict("This transaction was already reversed.", code="already_reversed")
    if transaction.kind == Transaction.Kind.REVERSAL:
        raise Conflict("A reversal is not reversed; post a new transaction instead.", code="invalid")
    lines = [(entry.account, -entry.amount_minor) for entry in transaction.entries.select_related("account")]
    return ledger_post(
        key=key,
        kind=Transaction.Kind.REVERSAL,
        lines=lines,
        memo=memo or f"Reverses {transaction.idempotency_key}",
        now=now,
        order=transaction.order,
        reverses=transaction,
    )


# --- flows ----------------------------------------------------------------------------------------


def capture_key(order) -> str:
    return f"capture:order:{order.pk}"


def release_key(order) -> str:
    return f"release:order:{order.pk}"


def refund_key(refund) -> str:
    return f"refund:{refund.pk}"


def ledger_capture_order(*, order, now: dt.datetime, amount_minor: int | None = None) -> Transaction | None:
    """A payment succeeded: the order's share enters its escrow (BP-2).

    A checkout's payment covers several orders; each order posts its own capture, keyed by
    the order, so a payment confirmed again (retry, webhook) captures once.
    """
    found = Transaction.objects.filter(idempotency_key=capture_key(order)).first()
    if found is not None:
        found.created = False
        return found
    amount = order.total_minor if amount_minor is None else amount_minor
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise _invalid("A captured amount is a positive whole number of minor units.", "amount_minor")
    if amount == 0:
        return None  # nothing to hold
    clearing = account_get(kind=Kind.PROVIDER_CLEARING, currency=order.currency, now=now)
    escrow = account_get(kind=Kind.ORDER_ESCROW, currency=order.currency, order=order, now=now)
    return ledger_post(
        key=capture_key(order),
        kind=Transaction.Kind.CAPTURE,
        lines=[(clearing, -amount), (escrow, amount)],
        memo=f"Payment for order {order.number}",
        now=now,
        order=order,
    )


def _refund_destination(refund, order, now: dt.datetime) -> Account:
    """PAY-4: where a refund's money goes."""
    from payments.models import Refund

    if refund.destination == Refund.Destination.BALANCE:
        return account_get(kind=Kind.BUYER_BALANCE, currency=order.currency, user=order.buyer_id, now=now)
    if refund.destination == Refund.Destination.COUPON:
        # Cash on delivery: the platform gives a coupon it funds later (CPN).
        return account_get(kind=Kind.PLATFORM_DISCOUNTS, currency=order.currency, now=now)
    return account_get(kind=Kind.PROVIDER_CLEARING, currency=order.currency, now=now)


def _released(order) -> bool:
    return Transaction.objects.filter(idempotency_key=release_key(order)).exists()


def ledger_refund(*, refund, now: dt.datetime) -> Transaction | None:
    """RFD-1: draw a refund from its order's escrow, in the caller's transaction.

    A refund above what the escrow still holds (captured − refunded − released) is
    refused with a DomainError, so the caller's transaction — the Refund row with it —
    rolls back. An order the ledger never captured (marked paid without a payment
    passing through the ledger) has no escrow: its refunds are not journaled (None).
    """
    found = Transaction.objects.filter(idempotency_key=refund_key(refund)).first()
    if found is not None:
        found.created = False
        return found
    order = refund.order
    escrow = escrow_of(order)
    if escrow is None:
        return None
    if refund.currency != escrow.currency:
        raise _invalid(
            f"This order was paid in {escrow.currency}; refund it in {escrow.currency}.",
            "currency",
            "currency_mismatch",
        )
    destination = _refund_destination(refund, order, now)
    with transaction.atomic():
        held = accounts_lock([escrow, destination])[escrow.pk].balance_minor
        if refund.amount_minor > held:
            if _released(order):
                message = (
                    "This order's payment was already released to the seller; nothing is left to refund."
                )
            else:
                left = format_money(Money(held, escrow.currency))
                message = f"A refund cannot exceed what is left of the payment ({left})."
            raise DomainError(
                message,
                code="refund_exceeds_escrow",
                fields={"amount_minor": [message]},
                status=409,
            )
        return ledger_post(
            key=refund_key(refund),
            kind=Transaction.Kind.REFUND,
            lines=[(escrow, -refund.amount_minor), (destination, refund.amount_minor)],
            memo=f"Refund for order {order.number}: {refund.reason}"[:300],
            now=now,
            order=order,
        )


def ledger_refund_failed(*, refund, now: dt.datetime) -> Transaction | None:
    """The provider could not pay a refund out: its draw is reversed, the money is back in escrow."""
    drawn = Transaction.objects.filter(idempotency_key=refund_key(refund)).first()
    if drawn is None:
        return None
    return ledger_reverse(
        transaction=drawn,
        key=f"{refund_key(refund)}:failed",
        now=now,
        memo=f"Refund {refund.pk} failed at the provider; the money is back in escrow",
    )


_release_blockers: list = []


def release_blocker_register(check) -> None:
    """Add `check(order) -> bool`, true while the order's money must stay in escrow (the
    disputes feature registers "an open dispute" here, DSP)."""
    if check not in _release_blockers:
        _release_blockers.append(check)


def release_blocker_unregister(check) -> None:
    if check in _release_blockers:
        _release_blockers.remove(check)


def order_release_blocked(order) -> bool:
    """BP-2: an open dispute blocks the release. False until a blocker is registered."""
    return any(check(order) for check in _release_blockers)


def commission_of(amount_minor: int) -> int:
    """BP-2: the platform's commission on a released amount, rounded half-up to a minor unit."""
    rate = policy.commission_rate_bp
    if isinstance(rate, bool) or not isinstance(rate, int) or not 0 <= rate <= 10_000:
        raise ImproperlyConfigured("commission_rate_bp must be a whole number of basis points, 0–10000")
    return (amount_minor * rate + 5_000) // 10_000


def ledger_release_order(*, order, now: dt.datetime) -> Transaction | None:
    """BP-2: protection ended: what the escrow holds goes to the seller, minus the commission.

    At most once per order (its key); nothing after a full refund (the escrow is empty);
    nothing while a dispute is open (`order_release_blocked`). Returns None when nothing
    was released.
    """
    found = Transaction.objects.filter(idempotency_key=release_key(order)).first()
    if found is not None:
        found.created = False
        return found
    if order_release_blocked(order):
        return None
    escrow = escrow_of(order)
    if escrow is None:
        return None
    seller = account_get(kind=Kind.SELLER_AVAILABLE, currency=escrow.currency, store=order.store_id, now=now)
    revenue = account_get(kind=Kind.PLATFORM_REVENUE, currency=escrow.currency, now=now)
    with transaction.atomic():
        held = accounts_lock([escrow, seller, revenue])[escrow.pk].balance_minor
        if held <= 0:
            return None
        commission = commission_of(held)
        lines = [(escrow, -held)]
        if held - commission:
            lines.append((seller, held - commission))
        if commission:
            lines.append((revenue, commission))
        return ledger_post(
            key=release_key(order),
            kind=Transaction.Kind.RELEASE,
            lines=lines,
            memo=f"Order {order.number}: buyer protection ended",
            now=now,
            order=order,
        )
