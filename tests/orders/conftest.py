import datetime as dt

import pytest

from orders.models import Order, OrderLine
from orders.states import Actor, State
from orders.transitions import order_arm_deadline
from tests.factories import AddressFactory, ProductFactory, UserFactory


@pytest.fixture
def make_order(db):
    """An order in awaiting_payment placed at `placed_at`, with its payment window armed."""
    counter = iter(range(1, 10_000))

    def make(
        *, placed_at: dt.datetime, processing_days: int = 7, delivery_max_days: int = 20, buyer=None
    ) -> Order:
        product = ProductFactory(processing_days=processing_days)
        variant = product.variants.first()
        buyer = buyer or UserFactory()
        address = AddressFactory(user=buyer)
        order = Order.objects.create(
            number=f"T{next(counter):08d}",
            buyer=buyer,
            store=product.store,
            currency="USD",
            items_total_minor=variant.price_minor,
            total_minor=variant.price_minor,
            ship_first_name=address.first_name,
            ship_last_name=address.last_name,
            ship_line1=address.line1,
            ship_city=address.city,
            ship_postal_code=address.postal_code,
            ship_country=address.country,
            ship_phone=address.phone,
            processing_days=processing_days,
            delivery_max_days=delivery_max_days,
            placed_at=placed_at,
        )
        OrderLine.objects.create(
            order=order,
            variant=variant,
            product_title=product.title,
            unit_price_minor=variant.price_minor,
            quantity=1,
            processing_days=processing_days,
        )
        order_arm_deadline(order, "payment_window", placed_at)
        return order

    return make


__all__ = ["Actor", "State"]
