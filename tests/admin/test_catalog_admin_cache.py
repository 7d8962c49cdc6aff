"""Staff edits in the catalog admin bump the catalog version, so cached pages show them at once
(CAT-1, CAT-2)."""

import pytest
from django.urls import reverse

from catalog.services import CATALOG_VERSION
from core.counters import counter_value
from tests.factories import CategoryFactory, DeliveryEstimateFactory, StoreFactory, UserFactory


@pytest.fixture
def staff(client, db):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_CAT_1_renaming_a_category_or_deleting_an_estimate_bumps_the_catalog_version(staff):
    category = CategoryFactory(name="Baskets")
    before = counter_value(CATALOG_VERSION)
    response = staff.post(
        reverse("admin:catalog_category_change", args=[category.pk]),
        {"name": "Bamboo baskets", "slug": category.slug, "position": 0, "description": ""},
    )
    assert response.status_code == 302
    after_rename = counter_value(CATALOG_VERSION)
    assert after_rename > before

    estimate = DeliveryEstimateFactory(method__store=StoreFactory())
    bumped = counter_value(CATALOG_VERSION)
    delete_url = reverse("admin:catalog_deliveryestimate_delete", args=[estimate.pk])
    response = staff.post(delete_url, {"post": "yes"})
    assert response.status_code == 302
    assert counter_value(CATALOG_VERSION) > bumped
