"""Ledger reads: balances, the transactions behind them, and the invariant check."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from core.money import Money
from ledger.models import Account, Entry, Transaction
from orders.states import State

Kind = Account.Kind


# --- the invariants -------------------------------------------------------------------------------


def balances_recomputed() -> dict[int, int]:
    """Every account's balance summed from the journal (account id → minor units)."""
    sums = dict(Entry.objects.values("account").annotate(s=Sum("amount_minor")).values_list("account", "s"))
    return {pk: sums.get(pk, 0) for pk in Account.objects.values_list("pk", flat=True)}


def ledger_problems() -> list[str]:
    """What is wrong with the journal; empty when every invariant holds:

    every transaction has entries summing to zero in one currency; every cached balance
    equals the balance recomputed from the journal; no order's escrow is negative (refunds
    never exceed captured − refunded); no order is released twice.
    """
    problems = []
    sums = (
        Entry.objects.values("transaction")
        .annotate(s=Sum("amount_minor"), n=Count("id"), c=Count("account__currency", distinct=True))
        .filter(Q(s__gt=0) | Q(s__lt=0) | Q(n__lt=2) | Q(c__gt=1))
    )
    problems += [f"transaction {row['transaction']} is unbalanced or mixed" for row in sums]
    empty = Transaction.objects.filter(~Exists(Entry.objects.filter(transaction=OuterRef("pk"))))
    problems += [f"transaction {pk} has no entries" for pk in empty.values_list("pk", flat=True)]
    recomputed = balances_recomputed()
    for pk, cached in Account.objects.values_list("pk", "balance_minor"):
        if recomputed[pk] != cached:
            problems.append(f"account {pk}: cached {cached} != journal {recomputed[pk]}")
    negative = Account.objects.filter(kind=Kind.ORDER_ESCROW, balance_minor__lt=0)
    problems += [f"escrow {pk} is negative" for pk in negative.values_list("pk", flat=True)]
    twice = (
        Transaction.objects.filter(kind=Transaction.Kind.RELEASE)
        .values("order")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    problems += [f"order {row['order']} released {row['n']} times" for row in twice]
    return problems


def order_ledger(order) -> dict[str, int]:
    """Per order: captured, refunded (net of failed refunds), released, held (minor units)."""
    totals: dict[str, int] = defaultdict(int)
    escrow = Entry.objects.filter(account__kind=Kind.ORDER_ESCROW, account__order=order)
    for kind, reverses_kind, amount in escrow.values_list(
        "transaction__kind", "transaction__reverses__kind", "amount_minor"
    ):  # a reversal counts against the kind of the transaction it corrects
        totals[reverses_kind if kind == Transaction.Kind.REVERSAL else kind] += amount
    return {
        "captured": totals[Transaction.Kind.CAPTURE],
        "refunded": -totals[Transaction.Kind.REFUND],
        "released": -totals[Transaction.Kind.RELEASE],
        "held": sum(totals.values()),
    }


# --- seller balances -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    currency: str
    pending: Money
    available: Money


def _unreleased_escrows(store) -> QuerySet[Account]:
    # Paid orders only: balance spent on an order still being paid waits in its escrow too.
    return Account.objects.filter(kind=Kind.ORDER_ESCROW, order__store=store, order__paid_at__isnull=False)


def seller_balances(*, store) -> list[Balance]:
    """Pending: what the escrows of the store's orders still hold (not yet released or
    refunded); available: what was released to the store. One row per currency."""
    pending: dict[str, int] = defaultdict(int)
    available: dict[str, int] = defaultdict(int)
    for currency, held in _unreleased_escrows(store).values_list("currency", "balance_minor"):
        pending[currency] += held
    for currency, balance in Account.objects.filter(
        kind=Kind.SELLER_AVAILABLE, store=store
    ).values_list("currency", "balance_minor"):
        available[currency] += balance
    currencies = sorted(set(pending) | set(available)) or [store.currency]
    return [Balance(c, Money(pending[c], c), Money(available[c], c)) for c in currencies]


def seller_entries(*, store) -> QuerySet[Entry]:
    """The entries behind the store's balances, newest first: its orders' escrow movements
    and its available balance."""
    return (
        Entry.objects.filter(
            Q(account__kind=Kind.ORDER_ESCROW, account__order__store=store)
            | Q(account__kind=Kind.SELLER_AVAILABLE, account__store=store)
        )
        .select_related("transaction", "transaction__order", "account")
        .order_by("-transaction__created_at", "-transaction_id", "-id")
    )


def seller_pending_orders(*, store) -> QuerySet:
    """Orders whose payment the platform still holds for the store."""
    from orders.models import Order

    return (
        Order.objects.filter(store=store, ledger_accounts__kind=Kind.ORDER_ESCROW)
        .filter(ledger_accounts__balance_minor__gt=0, paid_at__isnull=False)
        .exclude(state=State.CLOSED)
        .order_by("-placed_at")
    )


# --- buyer balance ---------------------------------------------------------------------------------


def buyer_balances(*, user) -> list[Money]:
    rows = Account.objects.filter(kind=Kind.BUYER_BALANCE, user=user).order_by("currency")
    return [Money(balance, currency) for currency, balance in rows.values_list("currency", "balance_minor")]


def buyer_entries(*, user) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(account__kind=Kind.BUYER_BALANCE, account__user=user)
        .select_related("transaction", "transaction__order", "account")
        .order_by("-transaction__created_at", "-transaction_id", "-id")
    )
