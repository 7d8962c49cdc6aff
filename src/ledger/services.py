"""Ledger writes (RFD-1, BP-2, PAY-5): balanced, idempotent, append-only money movements.

`ledger_post_many` is the one posting path (`ledger_post` is a one-item call of it;
`ledger_capture_order`, the payment's hot path, finds and locks its accounts itself and then
writes the same way). It refuses unbalanced, mixed-currency, empty and zero transactions; a
key already used returns the existing transaction (and writes nothing), or is refused when it
was used for another movement; it locks every account it touches in id order (SELECT … FOR
UPDATE), so concurrent postings cannot deadlock, and moves the cached balances in the same
transaction. Its statements are fixed SQL through deadlines.rows' lean helpers.

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
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext

from core.errors import Conflict, DomainError
from core.money import Money, UnknownCurrency, format_money, get_currency
from core.policy import policy
from deadlines.batch import at_batch_end, in_firing
from deadlines.batch import current as current_batch
from deadlines.rows import (
    db_datetime,
    for_update,
    in_sql,
    rows_insert_unless_exist,
    sql_row,
    sql_rows,
    sql_run,
)
from ledger.models import Account, Transaction

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


_ACCOUNT_COLUMNS = (
    '"id", "kind", "owner_key", "order_id", "store_id", "user_id", "currency", "balance_minor", "created_at"'
)
_ACCOUNT_GET = (
    f'SELECT {_ACCOUNT_COLUMNS} FROM "ledger_account" '
    'WHERE "kind" = %s AND "owner_key" = %s AND "currency" = %s'
)
_ESCROW_OF = (
    f'SELECT {_ACCOUNT_COLUMNS} FROM "ledger_account" '
    'WHERE "kind" = %s AND "owner_key" = %s ORDER BY "id" LIMIT 1'
)




def _account_of(row) -> Account | None:
    """An Account from a row of _ACCOUNT_COLUMNS (no ORM query), or None."""
    if row is None:
        return None
    return Account.from_db(connection.alias, None, (*row[:8], db_datetime(row[8])))


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
    account = _account_of(sql_row(_ACCOUNT_GET, [str(kind), owner_key, currency]))
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


def escrow_of(order) -> Account | None:
    """The order's escrow account, or None if nothing was ever captured for it."""
    return _account_of(sql_row(_ESCROW_OF, [Kind.ORDER_ESCROW.value, _owner_key(order=order)]))


# --- the journal --------------------------------------------------------------------------------
# Every posting goes through ledger_post_many (ledger_post is a one-item call of it) and
# ledger_capture_order (the payment's hot path: its own lookup and lock, the same writes).
# The statements are fixed SQL run by deadlines.rows' lean helpers (no ORM on this path).

_TXN_COLUMNS = '"id", "idempotency_key", "kind", "memo", "currency", "order_id", "reverses_id", "created_at"'
_TXN_BY_KEYS = f'SELECT {_TXN_COLUMNS} FROM "ledger_transaction" WHERE "idempotency_key" IN ({{keys}})'
# A key already posted is skipped by the database (ON CONFLICT): it comes back without an id.
_TXN_INSERT = (
    'INSERT INTO "ledger_transaction" ("idempotency_key", "kind", "memo", "currency", "order_id", '
    '"reverses_id", "created_at") VALUES {rows} ON CONFLICT ("idempotency_key") DO NOTHING '
    'RETURNING "id", "idempotency_key"'
)
_TXN_ROW = "(%s, %s, %s, %s, %s, %s, %s)"
_ENTRY_INSERT = 'INSERT INTO "ledger_entry" ("transaction_id", "account_id", "amount_minor") VALUES {rows}'
_ENTRY_ROW = "(%s, %s, %s)"
_ENTRIES_OF = (
    'SELECT "transaction_id", "account_id", "amount_minor" FROM "ledger_entry" WHERE "transaction_id" {ids}'
)
_ACCOUNTS_LOCK = 'SELECT "id", "balance_minor" FROM "ledger_account" WHERE "id" {ids} ORDER BY "id"{lock}'
# (The ids as an IN list, not in_sql's array: PostgreSQL then keeps a generic plan of the prepared
# statement instead of planning it again on every run.)
_BALANCES_SET = 'UPDATE "ledger_account" SET "balance_minor" = CASE "id" {whens} END WHERE "id" IN ({ids})'
_BALANCE_SET = 'UPDATE "ledger_account" SET "balance_minor" = %s WHERE "id" = %s'
_CHUNK = 500  # rows per multi-row statement


def _check_lines(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise _invalid("A transaction needs at least two entries.", "lines", "too_few_entries")
    seen = set()
    for account, amount in lines:
        _check_amount(amount)
        if account.pk is None or account.pk in seen:
            raise _invalid("Each account appears once in a transaction.", "lines", "duplicate_account")
        seen.add(account.pk)
    if len({account.currency for account, _ in lines}) != 1:
        raise _invalid("A transaction moves money in one currency only.", "lines", "mixed_currency")
    if sum(amount for _, amount in lines) != 0:
        raise _invalid("The entries of a transaction must sum to zero.", "lines", "unbalanced")


def _check_amount(amount) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise _invalid("Amounts are whole numbers of minor units.", "lines")
    if amount == 0:
        raise _invalid("An entry of zero moves no money; leave it out.", "lines", "zero_amount")


def _key_reused() -> Conflict:
    return Conflict(
        gettext("This idempotency key was already used for a different money movement."),
        code="idempotency_key_reused",
        fields={"key": ["Already used for a different movement."]},
    )


def _chunks(items: list) -> Iterable[list]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _transactions_by_key(keys: Iterable[str]) -> dict[str, Transaction]:
    """The transactions already posted under these keys (`.created` False)."""
    found = {}
    for chunk in _chunks(sorted(set(keys))):
        for row in sql_rows(_TXN_BY_KEYS.format(keys=", ".join(["%s"] * len(chunk))), chunk):
            posted = Transaction.from_db(connection.alias, None, (*row[:7], db_datetime(row[7])))
            posted.created = False
            found[posted.idempotency_key] = posted
    return found


def _transaction_new(key, kind, memo, currency, order_id, reverses_id, now) -> Transaction:
    """A transaction about to be inserted (`.created` True); positional: the model's quick path."""
    posted = Transaction(None, key, kind, (memo or "")[:300], currency, order_id, reverses_id, now)
    posted.created = True
    return posted


def _transactions_insert(new: list[Transaction]) -> list[Transaction]:
    """INSERT the new transactions and set their pks; returns those whose key another database
    transaction posted meanwhile (left out by the database, no pk)."""
    ids = {}
    for chunk in _chunks(new):
        params = []
        for t in chunk:
            params += [
                t.idempotency_key, str(t.kind), t.memo, t.currency, t.order_id, t.reverses_id, t.created_at
            ]
        sql = _TXN_INSERT.format(rows=", ".join([_TXN_ROW] * len(chunk)))
        ids.update({key: pk for pk, key in sql_rows(sql, params)})
    taken = []
    for posted in new:
        posted.pk = ids.get(posted.idempotency_key)
        if posted.pk is None:
            taken.append(posted)
        else:
            posted._state.adding, posted._state.db = False, connection.alias
    return taken


def _entries_insert(rows: list[tuple[int, int, int]]) -> None:
    """INSERT the entries (transaction id, account id, amount) in one statement per _CHUNK rows."""
    for chunk in _chunks(rows):
        sql = _ENTRY_INSERT.format(rows=", ".join([_ENTRY_ROW] * len(chunk)))
        sql_run(sql, [v for row in chunk for v in row])


def _balances_set(balances: dict[int, int], ids: Iterable[int]) -> None:
    """Set the cached balances of the (locked) accounts `ids`: one UPDATE on PostgreSQL; on
    SQLite, which holds the whole database's write lock anyway, one per account."""
    ids = sorted(ids)
    if connection.vendor != "postgresql":
        for pk in ids:
            sql_run(_BALANCE_SET, [balances[pk], pk])
        return
    for chunk in _chunks(ids):
        whens, ids_sql = " ".join(["WHEN %s THEN %s"] * len(chunk)), ", ".join(["%s"] * len(chunk))
        params = [v for pk in chunk for v in (pk, balances[pk])] + chunk
        sql_run(_BALANCES_SET.format(whens=whens, ids=ids_sql), params)


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
    whether this call wrote it. A key already used for other lines is refused (Conflict).

    A one-item ledger_post_many (with fixed lines), in a savepoint: a refusal by the database
    (a transaction reversed twice at once) leaves the caller's transaction usable."""
    if not isinstance(key, str) or not key or len(key) > KEY_MAX:
        raise _invalid(f"Give an idempotency key of 1–{KEY_MAX} characters.", "key")
    if kind not in Transaction.Kind.values:
        raise _invalid("Unknown kind of transaction.", "kind")
    lines = list(lines)
    _check_lines(lines)
    posting = Posting(
        key=key, kind=kind, accounts=[account for account, _ in lines], build=None, lines=lines, now=now,
        memo=memo, order_id=getattr(order, "pk", order), reverses_id=getattr(reverses, "pk", reverses),
    )
    with transaction.atomic():
        (posted,) = ledger_post_many([posting])
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
        order=transaction.order_id,
        reverses=transaction,
    )


# --- many postings at once --------------------------------------------------------------------------


@dataclass
class Posting:
    """One posting of `ledger_post_many`. `build(balances)` returns its lines from the balances of
    the locked accounts (moved by the postings before it), None to post nothing, or raises a
    DomainError to refuse; `accounts` are those it may touch (all locked first). Fixed `lines`
    instead of a `build` (build=None): a key already posted is then also compared with them."""

    key: str
    kind: str
    accounts: list[Account]
    build: Callable[[dict[int, int]], Sequence[Line] | None] | None
    now: dt.datetime
    memo: str = ""
    order_id: int | None = None
    lines: Sequence[Line] | None = None
    reverses_id: int | None = None
    result: Transaction | None = field(default=None, init=False)


def _atomic():
    """A savepoint only when not already inside a transaction (a batch's end already is)."""
    if transaction.get_connection().in_atomic_block:
        return contextlib.nullcontext()
    return transaction.atomic()


def _same_lines(posted: list[tuple[int, int]], lines: Sequence[Line]) -> bool:
    return sorted(posted) == sorted((account.pk, amount) for account, amount in lines)


def ledger_post_many(postings: Sequence[Posting]) -> list[Transaction | None]:
    """Post many transactions in a few statements, each once per key (PAY-5), in their order.

    The accounts are locked once, in id order; a key already posted returns its transaction
    (`.created` False) without building (the flows name their keys after the event, so one key
    is one movement) — refused (Conflict) if it was another kind of movement, or other lines
    than a posting's fixed ones. The others are checked as ledger_post checks them, then
    inserted together (transactions, then entries) and the cached balances set from the locked
    ones in one UPDATE (PostgreSQL; one per account elsewhere). A refusal writes nothing.
    """
    postings = list(postings)
    if not postings:
        return []
    for posting in postings:
        if not isinstance(posting.key, str) or not posting.key or len(posting.key) > KEY_MAX:
            raise _invalid(f"Give an idempotency key of 1–{KEY_MAX} characters.", "key")
        if posting.kind not in Transaction.Kind.values:
            raise _invalid("Unknown kind of transaction.", "kind")
    with _atomic():
        frag, params = in_sql(sorted({a.pk for p in postings for a in p.accounts}))
        balances = dict(sql_rows(_ACCOUNTS_LOCK.format(ids=frag, lock=for_update()), params))
        posted = _transactions_by_key(p.key for p in postings)
        compared = {posted[p.key].pk for p in postings if p.lines is not None and p.key in posted}
        if compared:  # a replay with fixed lines: the same movement, or refused
            frag, params = in_sql(sorted(compared))
            entries: dict[int, list[tuple[int, int]]] = {pk: [] for pk in compared}
            for transaction_id, account_id, amount in sql_rows(_ENTRIES_OF.format(ids=frag), params):
                entries[transaction_id].append((account_id, amount))
        new: list[tuple[Transaction, list[Line]]] = []
        lines_of: dict[str, list[Line]] = {}
        for posting in postings:
            found = posted.get(posting.key)
            if found is not None and found.kind != posting.kind:  # one key is one kind of movement
                raise _key_reused()
            if found is not None and posting.lines is not None and not _same_lines(
                entries[found.pk] if found.pk in compared else
                [(a.pk, x) for a, x in lines_of.get(posting.key, ())], posting.lines
            ):
                raise _key_reused()
            if found is None:
                lines = posting.build(balances) if posting.build is not None else posting.lines
                if lines is None:
                    continue
                lines = list(lines)
                _check_lines(lines)
                if any(account.pk not in balances for account, _ in lines):
                    raise _invalid("A posting moves only the accounts it names (locked first).", "lines")
                for account, amount in lines:
                    balances[account.pk] += amount
                found = _transaction_new(
                    posting.key, posting.kind, posting.memo, lines[0][0].currency, posting.order_id,
                    posting.reverses_id, posting.now,
                )
                posted[posting.key] = found
                lines_of[posting.key] = lines
                new.append((found, lines))
            posting.result = found
        if not new:
            return [p.result for p in postings]
        taken = _transactions_insert([t for t, _ in new])
        if taken:  # posted by a concurrent database transaction since our check (a race)
            if len({p.key for p in postings}) > 1:
                raise IntegrityError(f"ledger key {taken[0].idempotency_key!r} was posted meanwhile")
            (posting, *_) = postings
            found = _transactions_by_key([posting.key])[posting.key]
            if found.kind != posting.kind:
                raise _key_reused()
            if posting.lines is not None:
                frag, params = in_sql([found.pk])
                rows = sql_rows(_ENTRIES_OF.format(ids=frag), params)
                if not _same_lines([row[1:] for row in rows], posting.lines):
                    raise _key_reused()
            for p in postings:
                p.result = found
            return [found for _ in postings]
        _entries_insert([(t.pk, a.pk, x) for t, lines in new for a, x in lines])
        moved = {a.pk for _, lines in new for a, _ in lines}
        _balances_set(balances, moved)
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


_ESCROW, _CLEARING = Kind.ORDER_ESCROW.value, Kind.PROVIDER_CLEARING.value
_DISCOUNTS = Kind.PLATFORM_DISCOUNTS.value
# The capture's accounts (the order's escrow, provider clearing, platform discounts when the platform
# funds a discount) found and locked in one statement, in id order, with the id of a transaction
# already posted under the capture's key. A missing account is created, then this runs again.
_CAPTURE_LOCK = (
    'SELECT a."id", a."kind", a."balance_minor", (SELECT t."id" FROM "ledger_transaction" t '
    'WHERE t."idempotency_key" = %s) FROM "ledger_account" a WHERE {accounts} ORDER BY a."id"{lock}'
)
_CAPTURE_ACCOUNT = '(a."kind" = %s AND a."owner_key" = %s AND a."currency" = %s)'
_ESCROW_INSERT = (
    'INSERT INTO "ledger_account" ("kind", "owner_key", "order_id", "currency", "balance_minor", '
    '"created_at") VALUES (%s, %s, %s, %s, 0, %s) '
    'ON CONFLICT ("kind", "owner_key", "currency") DO NOTHING RETURNING "id"'
)


def _capture_posted(key: str) -> Transaction | None:
    """The capture already posted under `key` (None if none); another kind under it is refused."""
    found = _transactions_by_key([key]).get(key)
    if found is not None and found.kind != Transaction.Kind.CAPTURE:
        raise _key_reused()
    return found


def ledger_capture_order(
    *, order, now: dt.datetime, amount_minor: int | None = None, platform_funded_minor: int = 0
) -> Transaction | None:
    """A payment succeeded: the order's share enters its escrow (BP-2).

    A checkout's payment covers several orders; each order posts its own capture, keyed by
    the order, so a payment confirmed again (retry, webhook) captures once.
    `platform_funded_minor` (CPN-7): the platform-funded discounts, paid into the escrow from
    platform_discounts in the same transaction, so the seller is later released the
    undiscounted amount minus commission.

    Five statements for a first capture (the payment's hot path): the accounts found and
    locked in id order together with the key's check, the order's new escrow, the
    transaction, its entries, the balances (one UPDATE). No savepoint; the shared
    provider-clearing row is held from there to the commit. The checks are ledger_post_many's:
    a key posted once (a replay returns it, `.created` False), the entries balanced.
    """
    if amount_minor is not None and (
        isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor < 0
    ):
        raise _invalid("A captured amount is a positive whole number of minor units.", "amount_minor")
    funded = platform_funded_minor
    currency, key, owner = order.currency, capture_key(order), _owner_key(order=order)
    shared = (_CLEARING, _DISCOUNTS) if funded else (_CLEARING,)
    wanted = " OR ".join([_CAPTURE_ACCOUNT] * (1 + len(shared)))
    sql = _CAPTURE_LOCK.format(accounts=wanted, lock=for_update("a"))
    params = [key, _ESCROW, owner, currency, *(v for kind in shared for v in (kind, "", currency))]
    with _atomic():
        for _ in range(3):  # again after creating a missing account
            rows = sql_rows(sql, params)
            if rows and rows[0][3] is not None:
                return _capture_posted(key)
            accounts = {kind: (pk, balance) for pk, kind, balance, _ in rows}
            missing = [kind for kind in shared if kind not in accounts]
            if missing:  # the first capture in this currency: created once (get-or-create)
                _accounts_get_many([(kind, "", currency) for kind in missing], now)
                continue
            if _ESCROW not in accounts:
                get_currency(currency)
                created = sql_row(_ESCROW_INSERT, [_ESCROW, owner, order.pk, currency, now])
                if created is None:  # created by a concurrent capture of the order: look again
                    continue
                accounts[_ESCROW] = (created[0], 0)
            break
        else:  # pragma: no cover - an account missing after being created
            raise RuntimeError(f"ledger accounts for {key} could not be found")
        escrow, held = accounts[_ESCROW]
        # What the buyer paid from their balance is in the escrow already (payments.balance_spend).
        amount = order.total_minor - held if amount_minor is None else amount_minor
        if amount < 0:
            found = _capture_posted(key)  # posted while we waited for the locks: a replay
            if found is not None:
                return found
            raise _invalid("A captured amount is a positive whole number of minor units.", "amount_minor")
        lines = ([(accounts[_CLEARING], -amount)] if amount else []) + (
            [(accounts[_DISCOUNTS], -funded)] if funded else []
        )
        if not lines:  # nothing to hold (the balance paid it all), unless posted meanwhile
            return _capture_posted(key)
        lines.append(((escrow, held), amount + funded))
        for _, x in lines:
            _check_amount(x)
        memo = f"Payment for order {order.number}"
        memo = f"{memo}, with platform-funded discounts" if funded else memo
        posted = _transaction_new(key, Transaction.Kind.CAPTURE, memo, currency, order.pk, None, now)
        if _transactions_insert([posted]):
            return _capture_posted(key)  # posted meanwhile by a concurrent capture
        _entries_insert([(posted.pk, pk, x) for (pk, _), x in lines])
        _balances_set({pk: balance + x for (pk, balance), x in lines}, [pk for (pk, _), _ in lines])
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
