"""Seller write services of catalog.services (RULE CAT-1): stores, products, variants,
shipping methods and delivery estimates — happy paths and every kind of bad input."""

from __future__ import annotations

import pytest

from catalog import services
from catalog.models import DeliveryEstimate, Product, ShippingMethod, Store, Variant
from core.counters import counter_value
from core.errors import DomainError
from core.policy import policy
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def fields_of(excinfo) -> dict:
    error = excinfo.value
    assert isinstance(error, DomainError)
    return error.fields


@pytest.fixture
def store():
    return StoreFactory(currency="USD", ships_from="TH")


@pytest.fixture
def category():
    return CategoryFactory(name="Story cloths")


@pytest.fixture
def product(store, category):
    return services.product_create(store=store, category=category, title="Story cloth")


# --- stores ---------------------------------------------------------------------------


def test_cat_1_store_create_happy_path():
    owner = UserFactory()
    store = services.store_create(owner=owner, name="  Paj Ntaub House ", tagline="Stitched",
                                  description="Family workshop", ships_from="th",
                                  currency="eur")
    assert store.owner == owner
    assert (store.name, store.slug, store.ships_from, store.currency) == (
        "Paj Ntaub House", "paj-ntaub-house", "TH", "EUR")


def test_cat_1_one_store_per_account(store):
    with pytest.raises(DomainError) as excinfo:
        services.store_create(owner=store.owner, name="Second", ships_from="TH")
    assert excinfo.value.code == "store_exists"
    assert excinfo.value.status == 409


def test_cat_1_store_name_unique_case_insensitive_and_slug_unique(store):
    with pytest.raises(DomainError) as excinfo:
        services.store_create(owner=UserFactory(), name=store.name.upper(), ships_from="TH")
    assert "name" in fields_of(excinfo)
    # Different names that slugify alike still get distinct slugs.
    first = services.store_create(owner=UserFactory(), name="Silver & Thread", ships_from="LA")
    second = services.store_create(owner=UserFactory(), name="Silver Thread", ships_from="LA")
    assert first.slug == "silver-thread"
    assert second.slug == "silver-thread-2"


def test_cat_1_store_name_of_symbols_only_gets_fallback_slug():
    store = services.store_create(owner=UserFactory(), name="★★★", ships_from="US")
    assert store.slug == "store"


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 81}, "name", "at most 80"),
        ({"tagline": "x" * 161}, "tagline", "at most 160"),
        ({"description": "x" * (services.STORE_DESCRIPTION_MAX + 1)}, "description", "at most"),
        ({"ships_from": "ZZ"}, "ships_from", "country code"),
        ({"ships_from": ""}, "ships_from", "required"),
        ({"ships_from": 12}, "ships_from", "two-letter"),
        ({"currency": "XXX"}, "currency", "not a currency we support"),
        ({"currency": 5}, "currency", "three-letter"),
        ({"name": 42}, "name", "Enter text"),
    ],
)
def test_cat_1_store_create_bad_input(kwargs, field, fragment):
    base = {"name": "Good name", "ships_from": "TH", "currency": "USD"}
    with pytest.raises(DomainError) as excinfo:
        services.store_create(owner=UserFactory(), **(base | kwargs))
    assert excinfo.value.status == 422
    assert excinfo.value.code == "validation_error"
    assert any(fragment in m for m in fields_of(excinfo)[field])
    assert not Store.objects.filter(name="Good name").exists()


def test_cat_1_store_update_changes_given_fields_only(store):
    other = StoreFactory(name="Taken")
    before_slug = store.slug
    services.store_update(store=store, tagline="New line", currency="GBP")
    store.refresh_from_db()
    assert (store.tagline, store.currency, store.slug) == ("New line", "GBP", before_slug)
    with pytest.raises(DomainError) as excinfo:
        services.store_update(store=store, name=other.name.lower())
    assert "name" in fields_of(excinfo)
    services.store_update(store=store, name=store.name)  # keeping its own name is fine


# --- products -----------------------------------------------------------------------------


def test_cat_1_product_create_defaults(store, category):
    before = counter_value(services.CATALOG_VERSION)
    product = services.product_create(store=store, category=category.pk, title="Hmong hat")
    assert product.processing_days == policy.default_processing_days == 7
    assert product.currency == store.currency
    assert product.slug == "hmong-hat"
    assert product.is_active
    assert (product.min_price_minor, product.total_stock) == (0, 0)
    assert "hmong hat" in product.search_text
    assert counter_value(services.CATALOG_VERSION) > before


def test_cat_1_product_create_all_fields(store, category):
    method = ShippingMethodFactory(store=store)
    product = services.product_create(
        store=store, category=category, title="Silver necklace", description="Hand made",
        currency="THB", processing_days=12, free_return=True, warranty=True,
        domestic_delivery=True, warehouse_country="us", shipping_method_ids=[method.pk],
    )
    product.refresh_from_db()
    assert (product.currency, product.processing_days, product.warehouse_country) == (
        "THB", 12, "US")
    assert product.free_return and product.warranty and product.domestic_delivery
    assert list(product.shipping_methods.all()) == [method]


def test_cat_1_product_slugs_unique_across_stores(category):
    first = services.product_create(store=StoreFactory(), category=category, title="Sash")
    second = services.product_create(store=StoreFactory(), category=category, title="Sash")
    assert (first.slug, second.slug) == ("sash", "sash-2")


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"title": ""}, "title", "required"),
        ({"title": "x" * 141}, "title", "at most 140"),
        ({"description": "x" * (services.PRODUCT_DESCRIPTION_MAX + 1)}, "description", "at most"),
        ({"currency": "ABC"}, "currency", "not a currency"),
        ({"processing_days": 0}, "processing_days", "from 1 to 60"),
        ({"processing_days": policy.max_processing_days + 1}, "processing_days", "from 1 to"),
        ({"processing_days": -3}, "processing_days", "from 1"),
        ({"processing_days": "seven"}, "processing_days", "whole number"),
        ({"processing_days": True}, "processing_days", "whole number"),
        ({"domestic_delivery": True}, "warehouse_country", "warehouse"),
        ({"domestic_delivery": True, "warehouse_country": "XY"}, "warehouse_country", "country"),
        ({"free_return": "yes"}, "free_return", "yes or no"),
        ({"category": None}, "category", "required"),
        ({"category": 987654}, "category", "does not exist"),
        ({"category": "textiles"}, "category", "from the list"),
        ({"shipping_method_ids": "1,2"}, "shipping_method_ids", "list"),
        ({"shipping_method_ids": [1.5]}, "shipping_method_ids", "whole numbers"),
    ],
)
def test_cat_1_product_create_bad_input(store, category, kwargs, field, fragment):
    base = {"category": category, "title": "Good"}
    with pytest.raises(DomainError) as excinfo:
        services.product_create(store=store, **(base | kwargs))
    assert any(fragment in m for m in fields_of(excinfo)[field]), fields_of(excinfo)
    assert not Product.objects.exists()


def test_cat_1_product_shipping_methods_must_be_the_stores_own(store, category):
    foreign = ShippingMethodFactory()  # another store's method
    with pytest.raises(DomainError) as excinfo:
        services.product_create(store=store, category=category, title="Good",
                                shipping_method_ids=[foreign.pk, 999999])
    assert fields_of(excinfo)["shipping_method_ids"] == [
        f"Not shipping methods of your store: {foreign.pk}, 999999."]


def test_cat_1_product_update_partial_and_warehouse_cleared(store, category, product):
    method = ShippingMethodFactory(store=store)
    services.product_update(product=product, domestic_delivery=True, warehouse_country="FR",
                            shipping_method_ids=[method.pk])
    product.refresh_from_db()
    assert product.warehouse_country == "FR"
    services.product_update(product=product, title="Renamed cloth", domestic_delivery=False)
    product.refresh_from_db()
    assert product.title == "Renamed cloth"
    assert product.slug == "story-cloth"  # the address stays
    assert product.warehouse_country == ""
    assert list(product.shipping_methods.all()) == [method]  # not given: unchanged
    assert "renamed cloth" in product.search_text
    services.product_update(product=product, shipping_method_ids=[])
    assert not product.shipping_methods.exists()


def test_cat_1_product_currency_fixed_once_it_has_variants(product):
    services.product_update(product=product, currency="EUR")  # no variants yet: fine
    services.variant_create(product=product, sku="A", options={}, price_minor=100, stock=1)
    with pytest.raises(DomainError) as excinfo:
        services.product_update(product=product, currency="USD")
    assert "currency" in fields_of(excinfo)


def test_cat_1_product_set_active(product):
    services.product_set_active(product=product, active=False)
    product.refresh_from_db()
    assert not product.is_active
    with pytest.raises(DomainError):
        services.product_set_active(product=product, active="no")


# --- variants -----------------------------------------------------------------------------


def test_cat_1_variants_update_product_summary(product):
    """Variant changes update Product.min_price_minor, price_usd_minor and total_stock."""
    a = services.variant_create(product=product, sku="IND-M", options={"Colour": "Indigo",
                                "Size": "M"}, price_minor=2450, stock=3)
    b = services.variant_create(product=product, sku="RED-M", options={"Colour": "Red",
                                "Size": "M"}, price_minor=1999, stock=4)
    product.refresh_from_db()
    assert (product.min_price_minor, product.price_usd_minor, product.total_stock) == (
        1999, 1999, 7)
    assert "indigo" in product.search_text and "red" in product.search_text
    assert (a.position, b.position) == (1, 2)

    services.variant_update(variant=b, price_minor=3000, stock=0)
    product.refresh_from_db()
    assert (product.min_price_minor, product.total_stock) == (2450, 3)

    services.variant_delete(variant=a)
    product.refresh_from_db()
    assert (product.min_price_minor, product.total_stock) == (3000, 0)
    assert not Variant.objects.filter(pk=a.pk).exists()


def test_cat_1_price_usd_minor_follows_currency(store, category):
    product = services.product_create(store=store, category=category, title="Baht purse",
                                      currency="THB")
    services.variant_create(product=product, sku="P", options={}, price_minor=36000, stock=1)
    product.refresh_from_db()
    assert product.min_price_minor == 36000
    assert 0 < product.price_usd_minor < 36000  # converted to US cents


def test_cat_1_variant_options_are_trimmed(product):
    variant = services.variant_create(product=product, sku=" S1 ",
                                      options={" Colour ": " Indigo "}, price_minor=1, stock=0)
    assert (variant.sku, variant.options) == ("S1", {"Colour": "Indigo"})


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"price_minor": 0}, "price_minor", "more than zero"),
        ({"price_minor": -100}, "price_minor", "more than zero"),
        ({"price_minor": None}, "price_minor", "required"),
        ({"price_minor": 12.5}, "price_minor", "whole number"),
        ({"price_minor": "2450"}, "price_minor", "whole number"),
        ({"price_minor": 10**12}, "price_minor", "at most"),
        ({"stock": -1}, "stock", "from 0"),
        ({"stock": services.STOCK_MAX + 1}, "stock", "from 0"),
        ({"stock": None}, "stock", "required"),
        ({"stock": "many"}, "stock", "whole number"),
        ({"sku": ""}, "sku", "required"),
        ({"sku": "x" * 65}, "sku", "at most 64"),
        ({"options": "Colour: Red"}, "options", "names and values"),
        ({"options": {"Colour": 3}}, "options", "short texts"),
        ({"options": {"Colour": ""}}, "options", "name and a value"),
        ({"options": {"x" * 31: "Red"}}, "options", "names have at most"),
        ({"options": {"Colour": "x" * 61}}, "options", "values have at most"),
        ({"options": {f"k{i}": "v" for i in range(6)}}, "options", "at most 5"),
        ({"options": {"Colour": "Red", "colour": "Blue"}}, "options", "twice"),
    ],
)
def test_cat_1_variant_bad_input(product, kwargs, field, fragment):
    base = {"sku": "OK-1", "options": {"Colour": "Red"}, "price_minor": 1000, "stock": 2}
    with pytest.raises(DomainError) as excinfo:
        services.variant_create(product=product, **(base | kwargs))
    assert any(fragment in m for m in fields_of(excinfo)[field]), fields_of(excinfo)
    assert not product.variants.exists()


def test_cat_1_variant_sku_unique_and_options_distinct(product):
    services.variant_create(product=product, sku="A-1", options={"Colour": "Red", "Size": "S"},
                            price_minor=100, stock=1)
    with pytest.raises(DomainError) as excinfo:
        services.variant_create(product=product, sku="a-1", options={"Colour": "Blue"},
                                price_minor=100, stock=1)
    assert "sku" in fields_of(excinfo)
    with pytest.raises(DomainError) as excinfo:
        services.variant_create(product=product, sku="A-2",
                                options={"size": "s", "colour": "red"}, price_minor=100, stock=1)
    assert "options" in fields_of(excinfo)
    # The same SKU in another product is fine.
    other = ProductFactory(variants=[])
    services.variant_create(product=other, sku="A-1", options={}, price_minor=100, stock=1)


def test_cat_1_variant_update_keeps_own_sku_and_options(product):
    variant = services.variant_create(product=product, sku="A", options={"Size": "M"},
                                      price_minor=100, stock=1)
    updated = services.variant_update(variant=variant, stock=9)
    assert (updated.sku, updated.options, updated.stock) == ("A", {"Size": "M"}, 9)


def test_cat_1_variant_price_ceiling_in_vnd(store, category):
    product = services.product_create(store=store, category=category, title="Dong item",
                                      currency="VND")
    ceiling = services.price_ceiling("VND")
    assert ceiling.amount == services.PRICE_COLUMN_MAX  # $1,000,000 in dong would not fit
    services.variant_create(product=product, sku="OK", options={}, price_minor=10_000_000,
                            stock=1)
    with pytest.raises(DomainError) as excinfo:
        services.variant_create(product=product, sku="NO", options={"a": "b"},
                                price_minor=ceiling.amount + 1, stock=1)
    assert "2,147,483,647" in fields_of(excinfo)["price_minor"][0]


# --- shipping methods and delivery estimates ---------------------------------------------------


def test_cat_1_shipping_method_create_update_delete(store, product):
    method = services.shipping_method_create(store=store, name="Registered", carrier="Thai Post",
                                             price_minor=450)
    assert (method.currency, method.is_tracked) == ("USD", True)
    services.product_update(product=product, shipping_method_ids=[method.pk])
    services.shipping_method_update(method=method, price_minor=0, is_tracked=False)
    method.refresh_from_db()
    assert (method.price_minor, method.is_tracked) == (0, False)
    services.shipping_method_delete(method=method)
    assert not ShippingMethod.objects.filter(pk=method.pk).exists()
    assert not product.shipping_methods.exists()


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 81}, "name", "at most 80"),
        ({"carrier": ""}, "carrier", "required"),
        ({"price_minor": -1}, "price_minor", "negative"),
        ({"price_minor": "5"}, "price_minor", "whole number"),
        ({"currency": "DOGE"}, "currency", "not a currency"),
        ({"is_tracked": None}, "is_tracked", "yes or no"),
    ],
)
def test_cat_1_shipping_method_bad_input(store, kwargs, field, fragment):
    base = {"name": "Standard", "carrier": "EMS", "price_minor": 0}
    with pytest.raises(DomainError) as excinfo:
        services.shipping_method_create(store=store, **(base | kwargs))
    assert any(fragment in m for m in fields_of(excinfo)[field]), fields_of(excinfo)


def test_cat_1_shipping_method_name_unique_per_store(store):
    services.shipping_method_create(store=store, name="Express", carrier="DHL")
    with pytest.raises(DomainError) as excinfo:
        services.shipping_method_create(store=store, name="express", carrier="UPS")
    assert "name" in fields_of(excinfo)
    services.shipping_method_create(store=StoreFactory(), name="Express", carrier="DHL")


def test_cat_1_delivery_estimate_set_per_country_and_rest_of_world(store):
    method = ShippingMethodFactory(store=store)
    services.delivery_estimate_set(method=method, country="us", min_days=7, max_days=15)
    services.delivery_estimate_set(method=method, country="", min_days=15, max_days=40)
    services.delivery_estimate_set(method=method, country="US", min_days=5, max_days=9)  # upsert
    assert DeliveryEstimate.objects.filter(method=method).count() == 2
    assert (method.estimate_for("US").min_days, method.estimate_for("US").max_days) == (5, 9)
    assert method.estimate_for("FR").max_days == 40
    assert services.delivery_estimate_delete(method=method, country="US")
    assert not services.delivery_estimate_delete(method=method, country="US")
    assert method.estimate_for("US").max_days == 40


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"min_days": 0}, "min_days", "from 1 to 120"),
        ({"max_days": 121}, "max_days", "from 1 to 120"),
        ({"min_days": 10, "max_days": 5}, "max_days", "shorter"),
        ({"min_days": None}, "min_days", "required"),
        ({"min_days": "3"}, "min_days", "whole number"),
        ({"country": "XX"}, "country", "country code"),
    ],
)
def test_cat_1_delivery_estimate_bad_input(store, kwargs, field, fragment):
    method = ShippingMethodFactory(store=store)
    base = {"country": "", "min_days": 3, "max_days": 8}
    with pytest.raises(DomainError) as excinfo:
        services.delivery_estimate_set(method=method, **(base | kwargs))
    assert any(fragment in m for m in fields_of(excinfo)[field]), fields_of(excinfo)
    assert not method.estimates.exists()


def test_cat_1_variant_delete_on_factory_product_refreshes():
    product = ProductFactory(variants=[{"price_minor": 500, "stock": 2},
                                       {"price_minor": 900, "stock": 1}])
    cheapest = product.variants.get(price_minor=500)
    services.variant_delete(variant=cheapest)
    product.refresh_from_db()
    assert (product.min_price_minor, product.total_stock) == (900, 1)
