"""Ledger writes (RFD-1, BP-2, PAY-5): balanced, idempotent, append-only money movements.

`ledger_post` is the one function that writes the journal. It refuses unbalanced,
mixed-currency, empty and zero transactions; a key already used returns the existing
transaction (and writes nothing); it locks every account it touches in id order
(SELECT … FOR UPDATE), so concurrent postings cannot deadlock, and moves the cached
balances with `UPDATE … SET balance_minor = balance_minor + x` in the same transaction.

The flows on top of it name their key after the event that causes them, so a deadline
fired twice or a webhook delivered three times posts once:

- capture  "capture:order:<order id>"  provider_clearing → order_escrow (what the balance did not pay)
- balance  "balance:<pay key>:order:<order id>"  buyer_balance → order_escrow (balance spent at
                                       checkout; reversed back to the balance if the rest fails)
- refund   "refund:<refund id>"        order_escrow → provider_clearing (card, PayPal, local
                                       methods), buyer_balance (balance destinations) or
                                       platform_discounts (a coupon, cash on delivery)
- failed   "refund:<refund id>:failed" reverses the refund's draw (money back in escrow)
- release  "release:order:<order id>"  order_escrow → seller_available, minus the commission
                                       (policy.commission_rate_bp) → platform_revenue

Callers that hold an order lock it before calling (orders are always locked before
ledger accounts). Every function runs inside the caller's database transaction.

Inside a deadline batch (deadlines.batch) the postings wait for the batch's end and go in
together (`ledger_post_many`): one read of the escrows and accounts they touch, the accounts
locked once in id order, one read of the keys already posted, one INSERT of the
transactions, one of their entries, and one UPDATE of the cached balances. Refunds are
handed over by payments (its end-of-batch refund write); a release
(`ledger_release_order`) defers itself. The checks are the same as one at a time: keys
posted once, every transaction balanced, refunds never above what the escrow holds, a
release at most once, cached balances moved with their entries.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext

from core.errors import Conflict, DomainError
from core.money import Money, UnknownCurrency, format_money, get_currency
from core.policy import policy
from deadlines.batch import at_batch_end, in_firing
from deadlines.batch import current as current_batch
from deadlines.rows import ids_in, rows_insert, rows_insert_unless_exist, rows_update
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
            gettext("This idempotency key was already used for a different money movement."),
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
        raise Conflict(gettext("This transaction was already reversed."), code="already_reversed")
    if transaction.kind == Transaction.Kind.REVERSAL:
        raise Conflict(gettext("A reversal is not reversed; post a new transaction instead."), code="invalid")
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


# --- many postings at once --------------------------------------------------------------------------


@dataclass
class Posting:
    """One posting of `ledger_post_many`. `build(balances)` returns its lines from the balances of
    the locked accounts (moved by the postings before it), None to post nothing, or raises a
    DomainError to refuse; `accounts` are those it may touch (all locked first)."""

    key: str
    kind: str
    accounts: list[Account]
    build: Callable[[dict[int, int]], Sequence[Line] | None]
    now: dt.datetime
    memo: str = ""
    order_id: int | None = None
    result: Transaction | None = field(default=None, init=False)


def _atomic():
    """A savepoint only when not already inside a transaction (a batch's end already is)."""
    if transaction.get_connection().in_atomic_block:
        return contextlib.nullcontext()
    return transaction.atomic()


def ledger_post_many(postings: Sequence[Posting]) -> list[Transaction | None]:
    """Post many transactions in a few statements, each once per key (PAY-5), in their order.

    The accounts are locked once, in id order; a key already posted returns its transaction
    (`.created` False) without building (the flows name their keys after the event, so one key
    is one movement); the others are checked as ledger_post checks them, then inserted
    together (transactions, then entries) and the cached balances set from the locked ones in
    one UPDATE (PostgreSQL; one per account elsewhere). A refusal (DomainError) writes nothing.
    """
    postings = list(postings)
    if not postings:
        return []
    for posting in postings:
        if not posting.key or len(posting.key) > KEY_MAX:
            raise _invalid(f"Give an idempotency key of 1–{KEY_MAX} characters.", "key")
        if posting.kind not in Transaction.Kind.values:
            raise _invalid("Unknown kind of transaction.", "kind")
    with _atomic():
        ids = sorted({a.pk for p in postings for a in p.accounts})
        balances = dict(
            Account.objects.select_for_update().filter(pk__in=ids_in(ids)).order_by("pk")
            .values_list("pk", "balance_minor")
        )
        posted = {
            t.idempotency_key: t
            for t in Transaction.objects.filter(idempotency_key__in=[p.key for p in postings])
        }
        for found in posted.values():
            found.created = False
        new: list[tuple[Transaction, list[Line]]] = []
        for posting in postings:
            found = posted.get(posting.key)
            if found is not None and found.kind != posting.kind:  # one key is one kind of movement
                raise Conflict(
                    gettext("This idempotency key was already used for a different money movement."),
                    code="idempotency_key_reused",
                    fields={"key": ["Already used for a different movement."]},
                )
            if found is None:
                lines = posting.build(balances)
                if lines is None:
                    continue
                lines = list(lines)
                _check_lines(lines)
                if any(account.pk not in balances for account, _ in lines):
                    raise _invalid("A posting moves only the accounts it names (locked first).", "lines")
                for account, amount in lines:
                    balances[account.pk] += amount
                found = Transaction(
                    idempotency_key=posting.key, kind=posting.kind, memo=(posting.memo or "")[:300],
                    currency=lines[0][0].currency, order_id=posting.order_id, created_at=posting.now,
                )
                found.created = True
                posted[posting.key] = found
                new.append((found, lines))
            posting.result = found
        if new:
            rows_insert([t for t, _ in new])
            entries = [
                Entry(transaction_id=t.pk, account_id=a.pk, amount_minor=x)
                for t, lines in new
                for a, x in lines
            ]
            rows_insert(entries, need_pks=False)
            moved = {a.pk for _, lines in new for a, _ in lines}
            rows_update(Account, [(pk, {"balance_minor": balances[pk]}) for pk in sorted(moved)])
            for _, lines in new:
                for account, _ in lines:
                    account.balance_minor = balances[account.pk]
    return [p.result for p in postings]


def _accounts_get_many(wanted: Iterable[tuple[str, str, str]], now: dt.datetime) -> dict[tuple, Account]:
    """The accounts (kind, owner_key, currency) in one query; any missing one is created."""
    from django.db.models import Q

    wanted = set(wanted)
    if not wanted:
        return {}
    query = Q()
    for kind, owner_key, currency in wanted:
        query |= Q(kind=kind, owner_key=owner_key, currency=currency)
    found = {(a.kind, a.owner_key, a.currency): a for a in Account.objects.filter(query)}
    missing = wanted - set(found)
    if missing:  # created together; a concurrent first use's row wins (ON CONFLICT DO NOTHING)
        rows = []
        for kind, owner_key, currency in sorted(missing):
            try:
                get_currency(currency)
            except UnknownCurrency:
                raise _invalid(f"Unknown currency {currency!r}.", "currency", "unknown_currency") from None
            kind_of_owner, _, pk = owner_key.partition(":")
            owner = {f"{kind_of_owner}_id": int(pk)} if pk else {}
            rows.append(Account(kind=kind, owner_key=owner_key, currency=currency, created_at=now, **owner))
        for account in rows_insert_unless_exist(rows, unique=["kind", "owner_key", "currency"]):
            found[(account.kind, account.owner_key, account.currency)] = account
        query = Q()
        for kind, owner_key, currency in wanted - set(found):  # created meanwhile by another
            query |= Q(kind=kind, owner_key=owner_key, currency=currency)
        if query:
            found.update({(a.kind, a.owner_key, a.currency): a for a in Account.objects.filter(query)})
    return found


# --- flows ----------------------------------------------------------------------------------------


def capture_key(order) -> str:
    return f"capture:order:{order.pk}"


def release_key(order) -> str:
    return f"release:order:{order.pk}"


def refund_key(refund) -> str:
    return f"refund:{refund.pk}"


def capture_from_provider_minor(order) -> int:
    """What the provider's payment brings into the order's escrow at capture: the order's total
    minus what the buyer's balance already put there (payments.balance_spend posts its share
    straight from buyer_balance to the escrow). Read under the caller's order lock."""
    escrow = escrow_of(order)
    return order.total_minor - (escrow.balance_minor if escrow is not None else 0)


def ledger_capture_order(
    *, order, now: dt.datetime, amount_minor: int | None = None, platform_funded_minor: int = 0
) -> Transaction | None:
    """A payment succeeded: the order's share enters its escrow (BP-2).

    A checkout's payment covers several orders; each order posts its own capture, keyed by
    the order, so a payment confirmed again (retry, webhook) captures once.
    `platform_funded_minor` (CPN-7): the platform-funded discounts, paid into the escrow from
    platform_discounts in the same transaction, so the seller is later released the
    undiscounted amount minus commission.

    One read of the accounts (the new escrow created with them), then ledger_post_many: the
    accounts locked in id order, the key checked, the rows written, the balances moved in
    one UPDATE — no savepoint, and the shared provider-clearing row held only from there to
    the commit.
    """
    if amount_minor is not None and (
        isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor < 0
    ):
        raise _invalid("A captured amount is a positive whole number of minor units.", "amount_minor")
    funded = platform_funded_minor
    currency = order.currency
    wanted = [(Kind.ORDER_ESCROW, _owner_key(order=order), currency), (Kind.PROVIDER_CLEARING, "", currency)]
    if funded:
        wanted.append((Kind.PLATFORM_DISCOUNTS, "", currency))
    accounts = _accounts_get_many(wanted, now)
    escrow, clearing = accounts[wanted[0]], accounts[wanted[1]]
    platform = accounts[wanted[2]] if funded else None

    def build(balances: dict[int, int]) -> list[Line] | None:
        # What the buyer paid from their balance is in the escrow already (payments.balance_spend).
        amount = order.total_minor - balances[escrow.pk] if amount_minor is None else amount_minor
        if amount < 0:
            raise _invalid("A captured amount is a positive whole number of minor units.", "amount_minor")
        lines = ([(clearing, -amount)] if amount else []) + ([(platform, -funded)] if funded else [])
        return [*lines, (escrow, amount + funded)] if lines else None  # nothing to hold: None

    memo = f"Payment for order {order.number}"
    (posted,) = ledger_post_many([
        Posting(
            key=capture_key(order), kind=Transaction.Kind.CAPTURE,
            accounts=[a for a in (escrow, clearing, platform) if a is not None], build=build, now=now,
            memo=f"{memo}, with platform-funded discounts" if funded else memo, order_id=order.pk,
        )
    ])
    return posted


def _refund_destination_key(refund, currency: str) -> tuple[str, str, str]:
    """PAY-4: where a refund's money goes, as (kind, owner_key, currency)."""
    from payments.models import Refund

    if refund.destination == Refund.Destination.BALANCE:
        return (Kind.BUYER_BALANCE, _owner_key(user=refund.order.buyer_id), currency)
    if refund.destination == Refund.Destination.COUPON:
        # Cash on delivery: the platform gives a coupon it funds later (CPN).
        return (Kind.PLATFORM_DISCOUNTS, "", currency)
    return (Kind.PROVIDER_CLEARING, "", currency)


def _released(order) -> bool:
    return Transaction.objects.filter(idempotency_key=release_key(order)).exists()


def ledger_refund(*, refund, now: dt.datetime) -> Transaction | None:
    """RFD-1: draw a refund from its order's escrow, in the caller's transaction.

    A refund above what the escrow still holds (captured − refunded − released) is
    refused with a DomainError, so the caller's transaction — the Refund row with it —
    rolls back. An order the ledger never captured (marked paid without a payment
    passing through the ledger) has no escrow: its refunds are not journaled (None).
    """
    return ledger_refunds(refunds=[refund], now=now)[0]


def ledger_refunds(*, refunds: Sequence, now: dt.datetime) -> list[Transaction | None]:
    """ledger_refund for many refunds at once (a deadline batch's end writes its refunds
    together): one read of their orders' escrows, one of the destination accounts, then
    ledger_post_many. Refunds of one order are drawn in the given order."""
    refunds = list(refunds)
    if not refunds:
        return []
    escrows = {
        a.order_id: a
        for a in Account.objects.filter(
            kind=Kind.ORDER_ESCROW, owner_key__in=sorted({_owner_key(order=r.order_id) for r in refunds})
        )
    }
    for refund in refunds:
        escrow = escrows.get(refund.order_id)
        if escrow is not None and refund.currency != escrow.currency:
            raise _invalid(
                f"This order was paid in {escrow.currency}; refund it in {escrow.currency}.",
                "currency",
                "currency_mismatch",
            )
    journaled = [r for r in refunds if r.order_id in escrows]
    destinations = _accounts_get_many(
        (_refund_destination_key(r, escrows[r.order_id].currency) for r in journaled), now
    )
    postings = {}
    for refund in journaled:
        escrow = escrows[refund.order_id]
        destination = destinations[_refund_destination_key(refund, escrow.currency)]
        postings[id(refund)] = Posting(
            key=refund_key(refund),
            kind=Transaction.Kind.REFUND,
            accounts=[escrow, destination],
            build=_refund_lines(refund, escrow, destination),
            now=now,
            memo=f"Refund for order {refund.order.number}: {refund.reason}",
            order_id=refund.order_id,
        )
    ledger_post_many(list(postings.values()))
    from coupons.services import refund_platform_share_return

    for refund in journaled:  # CPN-7: a platform-funded discount's share goes back to the platform
        if refund.order.discount_total_minor:
            refund_platform_share_return(refund=refund, now=now)
    return [postings[id(r)].result if id(r) in postings else None for r in refunds]


def _refund_lines(refund, escrow: Account, destination: Account):
    def build(balances: dict[int, int]) -> list[Line]:
        held = balances[escrow.pk]
        if refund.amount_minor > held:
            if _released(refund.order):
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
        return [(escrow, -refund.amount_minor), (destination, refund.amount_minor)]

    return build


def ledger_refund_failed(*, refund, now: dt.datetime) -> Transaction | None:
    """The provider could not pay a refund out: its draw is reversed, the money is back in escrow."""
    drawn = Transaction.objects.filter(idempotency_key=refund_key(refund)).first()
    if drawn is None:
        return None
    # CPN-7: the platform-funded share this refund sent back to platform_discounts returns to escrow too.
    returned = Transaction.objects.filter(idempotency_key=f"discount-return:refund:{refund.pk}").first()
    if returned is not None:
        ledger_reverse(
            transaction=returned,
            key=f"discount-return:refund:{refund.pk}:failed",
            now=now,
            memo=f"Refund {refund.pk} failed at the provider; the platform's share is back in escrow",
        )
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
    """BP-2: an open case blocks the release (an open dispute or warranty request, DSP-6; an open
    Free Return, RET-4) and, with it, the order's completion at protection end
    (orders.deadline_handlers.on_protection_end). False until a blocker is registered."""
    return any(check(order) for check in _release_blockers)


def commission_of(amount_minor: int) -> int:
    """BP-2: the platform's commission on a released amount, rounded half-up to a minor unit."""
    rate = policy.commission_rate_bp
    if isinstance(rate, bool) or not isinstance(rate, int) or not 0 <= rate <= 10_000:
        raise ImproperlyConfigured("commission_rate_bp must be a whole number of basis points, 0–10000")
    return (amount_minor * rate + 5_000) // 10_000


def ledger_release_order(*, order, now: dt.datetime, blockers_checked: bool = False) -> Transaction | None:
    """BP-2: protection ended: what the escrow holds goes to the seller, minus the commission.

    At most once per order (its key); nothing after a full refund (the escrow is empty);
    nothing while a dispute is open (`order_release_blocked`). Returns None when nothing
    was released.

    In a deadline firing the posting waits for the batch's end (with the batch's other
    postings); the order is locked by the batch, so what its escrow holds now is what the
    end finds (it posts nothing if that is zero by then). It then returns the transaction
    before it is written: without a pk, `.created` None.

    `blockers_checked`: the caller has just asked `order_release_blocked` under the order's
    lock (orders.deadline_handlers), so it is not asked twice.
    """
    if not blockers_checked and order_release_blocked(order):
        return None
    batch = current_batch()
    if batch is not None and batch.deferring and in_firing():
        held = (
            Account.objects.filter(kind=Kind.ORDER_ESCROW, owner_key=_owner_key(order=order))
            .values_list("balance_minor", flat=True).first()
        )
        if not held or held <= 0:
            return None  # never captured, refunded in full, or released already
        at_batch_end("ledger.releases", _releases_post, (order, now))
        pending = Transaction(idempotency_key=release_key(order), kind=Transaction.Kind.RELEASE,
                              order=order, currency="", created_at=now)
        pending.created = None
        return pending
    return _releases_post([(order, now)])[0]


def _releases_post(items: list[tuple]) -> list[Transaction | None]:
    """Release many orders' escrows at once (ledger_post_many); None for those with nothing."""
    escrows = {
        a.order_id: a
        for a in Account.objects.filter(
            kind=Kind.ORDER_ESCROW, owner_key__in=sorted({_owner_key(order=o) for o, _ in items})
        )
    }
    wanted = {}
    for order, _ in items:
        escrow = escrows.get(order.pk)
        if escrow is not None:
            wanted[order.pk] = (
                (Kind.SELLER_AVAILABLE, _owner_key(store=order.store_id), escrow.currency),
                (Kind.PLATFORM_REVENUE, "", escrow.currency),
            )
    accounts = _accounts_get_many((k for pair in wanted.values() for k in pair), items[0][1])
    postings = {}
    for order, now in items:
        if order.pk not in wanted:
            continue
        escrow = escrows[order.pk]
        seller, revenue = (accounts[k] for k in wanted[order.pk])
        postings[order.pk] = Posting(
            key=release_key(order),
            kind=Transaction.Kind.RELEASE,
            accounts=[escrow, seller, revenue],
            build=_release_lines(escrow, seller, revenue),
            now=now,
            memo=f"Order {order.number}: buyer protection ended",
            order_id=order.pk,
        )
    ledger_post_many(list(postings.values()))
    return [postings[o.pk].result if o.pk in postings else None for o, _ in items]


def _release_lines(escrow: Account, seller: Account, revenue: Account):
    def build(balances: dict[int, int]) -> list[Line] | None:
        held = balances[escrow.pk]
        if held <= 0:
            return None
        commission = commission_of(held)
        lines = [(escrow, -held)]
        if held - commission:
            lines.append((seller, held - commission))
        if commission:
            lines.append((revenue, commission))
        return lines

    return build
