"""CPN-7: migration coupons.0002 fills the new amounts of discounts and redemptions written before
it: each part in its promotion's currency, each redemption rebuilt from its parts."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.money import Money, convert
from orders.models import Checkout, Order
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE, AFTER = [("coupons", "0001_initial")], [("coupons", "0002_source_amounts")]
T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_cpn7_backfill_converts_parts_into_the_promotions_currency_and_rebuilds_redemptions():
    # Tables the migration does not touch are filled with today's models first.
    buyer = UserFactory()
    checkout = Checkout.objects.create(buyer=buyer, idempotency_key="old-1", created_at=T0)
    orders = {
        c: Order.objects.create(
            number=f"HA00000000000{i}", checkout=checkout, buyer=buyer, store=StoreFactory(currency=c),
            currency=c, placed_at=T0, items_total_minor=5_000, total_minor=5_000, processing_days=3,
            delivery_max_days=20, ship_country="US",
        )
        for i, c in enumerate(("USD", "EUR"))
    }
    old = migrate(BEFORE)
    try:
        Promotion = old.get_model("coupons", "Promotion")
        OrderDiscount = old.get_model("coupons", "OrderDiscount")
        Redemption = old.get_model("coupons", "Redemption")
        platform = Promotion.objects.create(
            kind="platform_coupon", title="Old", amount_minor=1_000, currency="USD",
            starts_at=T0, ends_at=T0 + dt.timedelta(days=1), created_at=T0, updated_at=T0,
        )
        for c, amount in (("USD", 500), ("EUR", 460)):
            OrderDiscount.objects.create(
                order_id=orders[c].pk, promotion=platform, kind="platform_coupon", title="Old",
                amount_minor=amount, funder="platform",
            )
        Redemption.objects.create(  # the old amount summed cents and euro cents
            promotion=platform, user_id=buyer.pk, order_id=orders["USD"].pk, checkout_id=checkout.pk,
            amount_minor=960, created_at=T0,
        )
    finally:
        new = migrate(AFTER)

    OrderDiscount = new.get_model("coupons", "OrderDiscount")
    Redemption = new.get_model("coupons", "Redemption")
    parts = dict(OrderDiscount.objects.values_list("order__currency", "source_amount_minor"))
    eur_in_usd = convert(Money(460, "EUR"), "USD").amount
    assert parts == {"USD": 500, "EUR": eur_in_usd}
    redemption = Redemption.objects.get()
    assert (redemption.amount_minor, redemption.currency) == (500 + eur_in_usd, "USD")
