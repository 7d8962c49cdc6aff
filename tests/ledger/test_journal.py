"""The journal itself: balanced, one currency, idempotent by key, append-only in the database,
corrections by reversal, cached balances equal to the journal. (RULE RFD-1, PAY-5)"""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from core.errors import Conflict, DomainError
from ledger.models import Account, Entry, Transaction
from ledger.selectors import balances_recomputed, ledger_problems
from ledger.services import account_get, ledger_post, ledger_reverse
from tests.ledger.conftest import T0

pytestmark = pytest.mark.django_db
K = Account.Kind


@pytest.fixture
def accounts(db):
    usd = account_get(kind=K.PROVIDER_CLEARING, currency="USD", now=T0)
    revenue = account_get(kind=K.PLATFORM_REVENUE, currency="USD", now=T0)
    discounts = account_get(kind=K.PLATFORM_DISCOUNTS, currency="USD", now=T0)
    eur = account_get(kind=K.PROVIDER_CLEARING, currency="EUR", now=T0)
    return usd, revenue, discounts, eur


def counts():
    return Transaction.objects.count(), Entry.objects.count()


def test_account_is_unique_per_kind_owner_and_currency(accounts):
    usd = accounts[0]
    assert account_get(kind=K.PROVIDER_CLEARING, currency="USD", now=T0).pk == usd.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind=K.PROVIDER_CLEARING, currency="USD", created_at=T0)


def test_account_with_an_unknown_currency_is_refused(db):
    with pytest.raises(DomainError) as error:
        account_get(kind=K.PROVIDER_CLEARING, currency="XXQ", now=T0)
    assert error.value.code == "unknown_currency" and "currency" in error.value.fields
    assert not Account.objects.exists()


def test_account_owner_must_match_its_kind(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind=K.ORDER_ESCROW, owner_key="order:1", currency="USD", created_at=T0)


def test_RFD_1_a_balanced_posting_moves_cached_balances(accounts):
    usd, revenue, discounts, _ = accounts
    posted = ledger_post(
        key="t1", kind="adjustment", lines=[(usd, -300), (revenue, 200), (discounts, 100)], now=T0
    )
    assert posted.created and posted.currency == "USD"
    assert sorted(posted.entries.values_list("amount_minor", flat=True)) == [-300, 100, 200]
    assert Account.objects.get(pk=revenue.pk).balance_minor == 200
    assert revenue.balance_minor == 200  # the caller's instance follows
    assert balances_recomputed()[usd.pk] == -300
    assert ledger_problems() == []


@pytest.mark.parametrize(
    "lines, code",
    [
        (lambda a: [(a[0], -100), (a[1], 99)], "unbalanced"),
        (lambda a: [(a[0], -100), (a[3], 100)], "mixed_currency"),
        (lambda a: [(a[0], 0), (a[1], 0)], "zero_amount"),
        (lambda a: [], "too_few_entries"),
        (lambda a: [(a[0], -100)], "too_few_entries"),
        (lambda a: [(a[0], -100), (a[0], 100)], "duplicate_account"),
        (lambda a: [(a[0], -1.5), (a[1], 1.5)], "invalid"),
        (lambda a: [(a[0], True), (a[1], -1)], "invalid"),
    ],
    ids=["unbalanced", "mixed-currency", "zero", "empty", "one-line", "same-account", "float", "bool"],
)
def test_RFD_1_bad_postings_are_refused_and_change_nothing(accounts, lines, code):
    with pytest.raises(DomainError) as error:
        ledger_post(key="bad", kind="adjustment", lines=lines(accounts), now=T0)
    assert error.value.code == code and error.value.fields
    assert counts() == (0, 0)
    assert set(Account.objects.values_list("balance_minor", flat=True)) == {0}


@pytest.mark.parametrize("key", ["", "x" * 151, None])
def test_bad_keys_and_kinds_are_refused(accounts, key):
    usd, revenue, *_ = accounts
    with pytest.raises(DomainError) as error:
        ledger_post(key=key, kind="adjustment", lines=[(usd, -1), (revenue, 1)], now=T0)
    assert "key" in error.value.fields
    with pytest.raises(DomainError) as error:
        ledger_post(key="k", kind="gift", lines=[(usd, -1), (revenue, 1)], now=T0)
    assert "kind" in error.value.fields
    assert counts() == (0, 0)


def test_PAY_5_the_same_key_posts_once(accounts):
    usd, revenue, *_ = accounts
    first = ledger_post(key="once", kind="adjustment", lines=[(usd, -500), (revenue, 500)], now=T0)
    again = ledger_post(key="once", kind="adjustment", lines=[(usd, -500), (revenue, 500)], now=T0)
    assert again.pk == first.pk and first.created and not again.created
    assert counts() == (1, 2)
    assert Account.objects.get(pk=revenue.pk).balance_minor == 500


def test_PAY_5_a_key_reused_for_a_different_movement_is_refused(accounts):
    usd, revenue, discounts, _ = accounts
    ledger_post(key="once", kind="adjustment", lines=[(usd, -500), (revenue, 500)], now=T0)
    with pytest.raises(Conflict) as error:
        ledger_post(key="once", kind="adjustment", lines=[(usd, -500), (discounts, 500)], now=T0)
    assert error.value.code == "idempotency_key_reused"
    assert counts() == (1, 2)


def test_corrections_are_reversals_once_each(accounts):
    usd, revenue, *_ = accounts
    wrong = ledger_post(key="w", kind="adjustment", lines=[(usd, -700), (revenue, 700)], now=T0)
    fix = ledger_reverse(transaction=wrong, key="w:fix", now=T0)
    assert fix.reverses_id == wrong.pk and fix.kind == "reversal"
    assert Account.objects.get(pk=revenue.pk).balance_minor == 0
    assert ledger_reverse(transaction=wrong, key="w:fix", now=T0).pk == fix.pk  # replay
    with pytest.raises(Conflict):
        ledger_reverse(transaction=wrong, key="w:fix2", now=T0)
    with pytest.raises(Conflict):
        ledger_reverse(transaction=fix, key="fix:fix", now=T0)
    assert counts() == (2, 4)
    assert ledger_problems() == []


def test_RFD_1_the_database_refuses_update_and_delete_of_journal_rows(accounts):
    usd, revenue, *_ = accounts
    posted = ledger_post(key="j", kind="adjustment", lines=[(usd, -10), (revenue, 10)], now=T0)
    entry = posted.entries.first()
    attempts = [
        lambda: Entry.objects.filter(pk=entry.pk).update(amount_minor=999),
        lambda: Entry.objects.filter(pk=entry.pk).delete(),
        lambda: Transaction.objects.filter(pk=posted.pk).update(memo="edited"),
        lambda: Transaction.objects.filter(pk=posted.pk)._raw_delete(connection.alias),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError) as error, transaction.atomic():
            attempt()
        assert "append-only" in str(error.value)
    with connection.cursor() as cursor, pytest.raises(DatabaseError), transaction.atomic():
        cursor.execute("DELETE FROM ledger_entry")
    assert counts() == (1, 2)
    assert list(posted.entries.order_by("amount_minor").values_list("amount_minor", flat=True)) == [-10, 10]


def test_RFD_1_a_tampered_cached_balance_is_caught_by_the_invariant_check(accounts):
    usd, revenue, *_ = accounts
    ledger_post(key="j", kind="adjustment", lines=[(usd, -10), (revenue, 10)], now=T0)
    assert ledger_problems() == []
    Account.objects.filter(pk=revenue.pk).update(balance_minor=11)
    assert ledger_problems() == [f"account {revenue.pk}: cached 11 != journal 10"]
