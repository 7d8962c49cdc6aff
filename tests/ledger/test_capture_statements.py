"""The payment's capture (ledger.services.ledger_capture_order) is on every paid order's path: a
guard on the statements it sends, and on the one posting path (ledger_post is a one-item
ledger_post_many; a reused key is compared with the posting's fixed lines).
RULE BP-2 (the payment enters the order's escrow), RULE CPN-7 (the platform pays its funded
discounts in), RULE PAY-5 (one posting per key; a key reused for another movement is refused)."""


import pytest

from core.errors import Conflict
from ledger.models import Account, Entry, Transaction
from ledger.selectors import ledger_problems, order_ledger
from ledger.services import (
    Posting,
    account_get,
    escrow_of,
    ledger_capture_order,
    ledger_post,
    ledger_post_many,
)
from tests.ledger.conftest import T0, place_and_pay
from tests.sql import statements

pytestmark = pytest.mark.django_db
K = Account.Kind


def ledger_statements():
    """The SQL statements that touch the ledger's tables (the lean helpers' too)."""
    return statements(lambda sql: "ledger_" in sql)


def unpaid(shop):
    shop.paid_order()  # the first capture in USD made the shared provider-clearing account
    return place_and_pay(shop.buyer, shop.address, shop.variant, pay=False)[0]


def balance_updates(accounts: int, is_postgres: bool) -> int:
    return 1 if is_postgres else accounts  # SQLite moves cached balances one row at a time


def test_BP_2_a_first_capture_takes_five_statements(shop, is_postgres):
    order = unpaid(shop)
    with ledger_statements() as seen:
        posted = ledger_capture_order(order=order, now=T0)
    # accounts found and locked with the key's check, the new escrow, the transaction, its
    # entries, the balances
    assert len(seen) == 4 + balance_updates(2, is_postgres), seen
    assert posted.created and posted.pk and posted.kind == "capture" and posted.order_id == order.pk
    assert Transaction.objects.get(pk=posted.pk).memo == f"Payment for order {order.number}"
    assert escrow_of(order).balance_minor == order.total_minor
    assert order_ledger(order)["captured"] == order.total_minor
    assert ledger_problems() == []


def test_CPN_7_a_capture_with_platform_funded_discounts_takes_five_statements(shop, is_postgres):
    order = unpaid(shop)
    platform = account_get(kind=K.PLATFORM_DISCOUNTS, currency="USD", now=T0)
    with ledger_statements() as seen:
        posted = ledger_capture_order(order=order, now=T0, platform_funded_minor=500)
    assert len(seen) == 4 + balance_updates(3, is_postgres), seen
    assert posted.created and posted.memo.endswith("with platform-funded discounts")
    amounts = dict(Entry.objects.filter(transaction=posted).values_list("account_id", "amount_minor"))
    assert amounts == {escrow_of(order).pk: order.total_minor + 500, platform.pk: -500,
                       Account.objects.get(kind=K.PROVIDER_CLEARING, currency="USD").pk: -order.total_minor}
    assert Account.objects.get(pk=platform.pk).balance_minor == -500
    assert ledger_problems() == []


def test_PAY_5_a_capture_delivered_again_reads_two_statements_and_writes_nothing(shop):
    order = unpaid(shop)
    first = ledger_capture_order(order=order, now=T0)
    before = Transaction.objects.count(), Entry.objects.count()
    with ledger_statements() as seen:
        again = ledger_capture_order(order=order, now=T0)
    assert len(seen) == 2, seen  # the lock (with the key's check), the posted transaction
    assert again.pk == first.pk and again.created is False and again.kind == "capture"
    assert again.created_at == first.created_at and again.order_id == order.pk
    assert (Transaction.objects.count(), Entry.objects.count()) == before
    assert escrow_of(order).balance_minor == order.total_minor


def test_PAY_5_a_capture_key_used_by_another_kind_is_refused(shop):
    order = unpaid(shop)
    clearing = Account.objects.get(kind=K.PROVIDER_CLEARING, currency="USD")
    escrow = account_get(kind=K.ORDER_ESCROW, currency="USD", order=order, now=T0)
    ledger_post(key=f"capture:order:{order.pk}", kind="adjustment", lines=[(clearing, -1), (escrow, 1)],
                now=T0)
    with pytest.raises(Conflict) as error:
        ledger_capture_order(order=order, now=T0)
    assert error.value.code == "idempotency_key_reused"


def test_BP_2_a_capture_in_a_new_currency_creates_the_shared_account(shop):
    order = place_and_pay(shop.buyer, shop.address, shop.other_variant, pay=False)[0]
    assert not Account.objects.filter(kind=K.PROVIDER_CLEARING, currency="EUR").exists()
    posted = ledger_capture_order(order=order, now=T0)
    assert posted.created and posted.currency == "EUR"
    assert Account.objects.get(kind=K.PROVIDER_CLEARING, currency="EUR").balance_minor == -order.total_minor
    assert ledger_problems() == []


def test_PAY_5_post_many_compares_a_reused_key_with_fixed_lines(shop):
    order = shop.paid_order()
    escrow = escrow_of(order)
    revenue = account_get(kind=K.PLATFORM_REVENUE, currency="USD", now=T0)
    discounts = account_get(kind=K.PLATFORM_DISCOUNTS, currency="USD", now=T0)

    def fixed(lines):
        return Posting(key="fixed-1", kind="adjustment", accounts=[a for a, _ in lines], build=None,
                       lines=lines, now=T0)

    [first] = ledger_post_many([fixed([(escrow, -100), (revenue, 100)])])
    [again] = ledger_post_many([fixed([(revenue, 100), (escrow, -100)])])  # the same movement
    assert first.created and again.pk == first.pk and again.created is False
    with pytest.raises(Conflict) as error:
        ledger_post_many([fixed([(escrow, -100), (discounts, 100)])])
    assert error.value.code == "idempotency_key_reused"
    with pytest.raises(Conflict):  # in one call too: the same key for two movements
        ledger_post_many([
            Posting(key="fixed-2", kind="adjustment", accounts=[escrow, revenue], build=None,
                    lines=[(escrow, -5), (revenue, 5)], now=T0),
            Posting(key="fixed-2", kind="adjustment", accounts=[escrow, revenue], build=None,
                    lines=[(escrow, -6), (revenue, 6)], now=T0),
        ])
    assert Transaction.objects.filter(idempotency_key__startswith="fixed-").count() == 1
    assert Account.objects.get(pk=revenue.pk).balance_minor == 100
    assert ledger_problems() == []


def test_RFD_1_ledger_post_writes_in_a_few_statements(shop, is_postgres):
    order = shop.paid_order()
    escrow = escrow_of(order)
    revenue = account_get(kind=K.PLATFORM_REVENUE, currency="USD", now=T0)
    with ledger_statements() as seen:
        posted = ledger_post(key="few", kind="adjustment", lines=[(escrow, -300), (revenue, 300)], now=T0,
                             order=order)
    # lock, key check, transaction, entries, balances (savepoint statements do not name the ledger)
    assert len(seen) == 4 + balance_updates(2, is_postgres), seen
    assert posted.created and posted.order_id == order.pk and revenue.balance_minor == 300
    assert escrow.balance_minor == order.total_minor - 300
    assert ledger_problems() == []
