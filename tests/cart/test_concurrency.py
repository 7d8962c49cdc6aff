"""Two requests adding the last units at the same moment (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection

from cart.models import CartLine
from cart.services import cart_add
from core.errors import DomainError
from tests.factories import UserFactory
from tests.wishlist.helpers import make_product


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_cart_concurrent_adds_never_exceed_stock_nor_fail(is_postgres):
    if not is_postgres:
        pytest.skip("row locks are a PostgreSQL matter")
    user = UserFactory()
    variant = make_product(stock=3).variants.get()
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def add():
        try:
            barrier.wait()
            cart_add(user=user, variant=variant, quantity=1)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["not_enough_stock"] * 3 + ["ok"] * 3
    assert CartLine.objects.get(user=user).quantity == 3
