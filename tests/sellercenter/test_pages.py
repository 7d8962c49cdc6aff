"""Seller center pages (RULE CAT-1): sign-in and ownership, forms with field errors for
every kind of bad input (never a 500), htmx variant rows, image uploads, shipping."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import DeliveryEstimate, Product, ProductImage, ShippingMethod, Store, Variant
from tests.factories import (
    CategoryFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ProductImageFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)
from tests.sellercenter.imagefiles import image_bytes, jpeg_upload, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return StoreFactory(name="Ntxawg Stitch", currency="USD")


@pytest.fixture
def seller(client, store):
    client.force_login(store.owner)
    return client


@pytest.fixture
def product(store):
    return ProductFactory(store=store, title="Story cloth",
                          variants=[{"sku": "SC-1", "price_minor": 2500, "stock": 5,
                                     "options": {"Colour": "Indigo"}}])


@pytest.fixture
def foreign():
    """Another seller's store with a product, variant, image and shipping method."""
    other = StoreFactory(name="Someone Else")
    product = ProductFactory(store=other, title="Not yours")
    method = ShippingMethodFactory(store=other)
    DeliveryEstimateFactory(method=method, country="")
    image = ProductImageFactory(product=product)
    return {"store": other, "product": product, "variant": product.variants.get(),
            "method": method, "image": image}


def url(name, *args):
    return reverse(f"sellercenter:{name}", args=args)


def errors_of(response, field) -> list[str]:
    form = response.context["form"]
    return form.errors.get(field, [])


# --- sign-in, store creation --------------------------------------------------------------


@pytest.mark.parametrize("name", ["home", "store_edit", "products", "product_new", "shipping"])
def test_cat_1_pages_need_sign_in(client, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_cat_1_without_store_pages_lead_to_store_creation(client):
    client.force_login(UserFactory())
    response = client.get(url("products"))
    assert response.status_code == 302 and response["Location"] == url("home")
    response = client.get(url("home"))
    assert response.status_code == 200
    assert "sellercenter/store_create.html" in [t.name for t in response.templates]
    assert b'<label for="id_name">Store name</label>' in response.content


def test_cat_1_create_store_page(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(url("home"), {"name": "Paj Ntaub Garden", "tagline": "Needlework",
                                         "description": "", "ships_from": "LA",
                                         "currency": "LAK"})
    assert response.status_code == 302
    store = Store.objects.get(owner=user)
    assert (store.slug, store.ships_from, store.currency) == ("paj-ntaub-garden", "LA", "LAK")
    dashboard = client.get(url("home"))
    assert b"Paj Ntaub Garden" in dashboard.content
    assert "sellercenter/dashboard.html" in [t.name for t in dashboard.templates]


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 81}, "name", "at most 80"),
        ({"ships_from": "ZZ"}, "ships_from", "country code"),
        ({"ships_from": ""}, "ships_from", "required"),
        ({"currency": "XXX"}, "currency", "not a currency"),
        ({"tagline": "t" * 161}, "tagline", "at most 160"),
    ],
)
def test_cat_1_create_store_bad_input_shows_field_errors(client, store, data, field, fragment):
    client.force_login(UserFactory())
    base = {"name": "Fresh store", "ships_from": "TH", "currency": "USD"}
    response = client.post(url("home"), base | data)
    assert response.status_code == 200
    assert any(fragment in e for e in errors_of(response, field))
    assert b'aria-invalid="true"' in response.content
    assert Store.objects.count() == 1


def test_cat_1_create_store_with_taken_name(client, store):
    client.force_login(UserFactory())
    response = client.post(url("home"), {"name": store.name.lower(), "ships_from": "TH",
                                         "currency": "USD"})
    assert errors_of(response, "name")


def test_cat_1_store_edit(seller, store):
    response = seller.get(url("store_edit"))
    assert response.status_code == 200 and store.name.encode() in response.content
    response = seller.post(url("store_edit"), {"name": "Renamed", "tagline": "", "description":
                                               "About us", "ships_from": "VN", "currency": "VND"})
    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.name, store.ships_from, store.currency) == ("Renamed", "VN", "VND")
    response = seller.post(url("store_edit"), {"name": "", "ships_from": "QQ", "currency": "EUR"})
    assert response.status_code == 200
    assert errors_of(response, "name") and errors_of(response, "ships_from")


# --- dashboard --------------------------------------------------------------------------------


def test_cat_1_dashboard_shows_stock_warnings(seller, store):
    ProductFactory(store=store, title="Sold out sash",
                   variants=[{"sku": "OUT", "price_minor": 900, "stock": 0}])
    ProductFactory(store=store, title="Nearly gone hat",
                   variants=[{"sku": "LOW", "price_minor": 900, "stock": 2}])
    ProductFactory(store=store, title="Plenty purse",
                   variants=[{"sku": "MANY", "price_minor": 900, "stock": 50}])
    ProductFactory(store=store, title="Draft skirt", variants=[])
    response = seller.get(url("home"))
    health = response.context["health"]
    assert [v.sku for v in health.out_of_stock] == ["OUT"]
    assert [v.sku for v in health.low_stock] == ["LOW"]
    assert [p.title for p in health.without_variants] == ["Draft skirt"]
    body = response.content.decode()
    assert "Out of stock" in body and "Sold out sash" in body and "2 left" in body


# --- ownership: another seller's objects are 404 ---------------------------------------------


def test_cat_1_other_sellers_objects_are_not_found(seller, product, foreign):
    p, v, m, i = foreign["product"], foreign["variant"], foreign["method"], foreign["image"]
    gets = [url("product", p.pk), url("shipping_edit", m.pk)]
    posts = [
        (url("product", p.pk), {"title": "Hijack"}),
        (url("product_active", p.pk), {"active": "0"}),
        (url("variant_add", p.pk), {"new-sku": "X", "new-price": "1", "new-stock": "1"}),
        (url("variant_edit", p.pk, v.pk), {}),
        (url("variant_delete", p.pk, v.pk), {}),
        # own product, someone else's variant / image
        (url("variant_edit", product.pk, v.pk), {}),
        (url("variant_delete", product.pk, v.pk), {}),
        (url("image_delete", product.pk, i.pk), {}),
        (url("image_edit", p.pk, i.pk), {"alt_text": "x"}),
        (url("image_upload", p.pk), {}),
        (url("shipping_edit", m.pk), {"name": "Mine now"}),
        (url("shipping_delete", m.pk), {}),
        (url("estimate_set", m.pk), {"country": "", "min_days": "1", "max_days": "2"}),
        (url("estimate_delete", m.pk, "ROW"), {}),
    ]
    for target in gets:
        assert seller.get(target).status_code == 404, target
    for target, data in posts:
        assert seller.post(target, data).status_code == 404, target
    p.refresh_from_db()
    assert (p.title, p.is_active) == ("Not yours", True)
    assert Variant.objects.filter(pk=v.pk).exists()
    assert ProductImage.objects.filter(pk=i.pk).exists()
    assert ShippingMethod.objects.filter(pk=m.pk, name=m.name).exists()
    assert DeliveryEstimate.objects.filter(method=m).exists()


# --- products -----------------------------------------------------------------------------------


def product_data(cat, **overrides):
    data = {"title": "Batik skirt", "category": str(cat.pk), "description": "Wax resist",
            "currency": "USD", "processing_days": "5", "warehouse_country": ""}
    return data | overrides


def test_cat_1_product_create_page(seller, store):
    category = CategoryFactory(name="Skirts")
    method = ShippingMethodFactory(store=store, name="Registered")
    page = seller.get(url("product_new"))
    assert b"Skirts" in page.content and b"Registered" in page.content
    response = seller.post(url("product_new"), product_data(
        category, free_return="on", shipping_methods=[str(method.pk)]))
    product = Product.objects.get(title="Batik skirt")
    assert response.status_code == 302 and response["Location"] == url("product", product.pk)
    assert product.processing_days == 5 and product.free_return
    assert list(product.shipping_methods.all()) == [method]


def test_cat_1_product_create_default_processing_time(seller):
    category = CategoryFactory()
    seller.post(url("product_new"), product_data(category, processing_days=""))
    assert Product.objects.get().processing_days == 7


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"title": ""}, "title", "required"),
        ({"title": "t" * 141}, "title", "at most 140"),
        ({"category": ""}, "category", "required"),
        ({"category": "textiles"}, "category", "from the list"),
        ({"category": "99999"}, "category", "does not exist"),
        ({"processing_days": "-1"}, "processing_days", "from 1 to 60"),
        ({"processing_days": "0"}, "processing_days", "from 1 to 60"),
        ({"processing_days": "61"}, "processing_days", "from 1 to 60"),
        ({"processing_days": "soon"}, "processing_days", "whole number"),
        ({"currency": "XYZ"}, "currency", "not a currency"),
        ({"domestic_delivery": "on"}, "warehouse_country", "warehouse"),
        ({"domestic_delivery": "on", "warehouse_country": "QQ"}, "warehouse_country", "country"),
        ({"shipping_methods": ["abc"]}, "shipping_methods", "valid choice"),
    ],
)
def test_cat_1_product_form_bad_input(seller, overrides, field, fragment):
    category = CategoryFactory()
    response = seller.post(url("product_new"), product_data(category, **overrides))
    assert response.status_code == 200
    assert any(fragment in e for e in errors_of(response, field)), response.context["form"].errors
    assert not Product.objects.exists()


def test_cat_1_product_form_refuses_other_stores_shipping_method(seller, foreign):
    category = CategoryFactory()
    response = seller.post(url("product_new"), product_data(
        category, shipping_methods=[str(foreign["method"].pk)]))
    assert response.status_code == 200
    assert errors_of(response, "shipping_methods")


def test_cat_1_product_edit_page_and_update(seller, store, product):
    response = seller.get(url("product", product.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="variants"' in body and 'id="images"' in body and "SC-1" in body
    assert 'value="25.00"' in body  # the variant's price as the seller types it
    response = seller.post(url("product", product.pk), product_data(
        product.category, title="Story cloth, large", warranty="on"))
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.title == "Story cloth, large" and product.warranty
    response = seller.post(url("product", product.pk), product_data(product.category, title=""))
    assert response.status_code == 200 and errors_of(response, "title")


def test_cat_1_product_unlist_and_list(seller, product):
    seller.post(url("product_active", product.pk), {"active": "0"})
    product.refresh_from_db()
    assert not product.is_active
    response = seller.post(url("product_active", product.pk), {"active": "1", "next": "list"})
    assert response["Location"] == url("products")
    product.refresh_from_db()
    assert product.is_active
    assert seller.get(url("product_active", product.pk)).status_code == 405


def test_cat_1_product_list_filters(seller, store, product, foreign):
    ProductFactory(store=store, title="Hidden hat", is_active=False)
    response = seller.get(url("products"))
    titles = [p.title for p in response.context["page"].object_list]
    assert sorted(titles) == ["Hidden hat", "Story cloth"]  # never the other store's
    response = seller.get(url("products"), {"show": "unlisted"})
    assert [p.title for p in response.context["page"].object_list] == ["Hidden hat"]
    response = seller.get(url("products"), {"q": "sc-1"})
    assert [p.title for p in response.context["page"].object_list] == ["Story cloth"]
    assert seller.get(url("products"), {"page": "zzz", "show": "??"}).status_code == 200


# --- variants ---------------------------------------------------------------------------------


def new_variant(**overrides):
    data = {"new-sku": "SC-2", "new-options": "Colour: Red, Size: L", "new-price": "24.50",
            "new-stock": "4"}
    return data | {f"new-{k}": v for k, v in overrides.items()}


def test_cat_1_variant_add_plain_post(seller, product):
    response = seller.post(url("variant_add", product.pk), new_variant())
    assert response.status_code == 302
    assert response["Location"].endswith("#variants")
    variant = product.variants.get(sku="SC-2")
    assert (variant.price_minor, variant.stock, variant.options) == (
        2450, 4, {"Colour": "Red", "Size": "L"})
    product.refresh_from_db()
    assert (product.min_price_minor, product.total_stock) == (2450, 9)


def test_cat_1_variant_add_with_htmx_returns_the_section(seller, product):
    response = seller.post(url("variant_add", product.pk), new_variant(), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("{#") is False
    assert '<section id="variants"' in body and "<html" not in body
    assert "Variant SC-2 added." in body
    assert 'value="24.50"' in body


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"price": "24.505"}, "price", "at most 2 decimals"),
        ({"price": "-5"}, "price", "more than zero"),
        ({"price": "0"}, "price", "more than zero"),
        ({"price": "0.00"}, "price", "more than zero"),
        ({"price": "abc"}, "price", "digits"),
        ({"price": "24,50"}, "price", "digits"),
        ({"price": "1e3"}, "price", "digits"),
        ({"price": "NaN"}, "price", "digits"),
        ({"price": "99999999999999"}, "price", "far too large"),
        ({"price": "2000000"}, "price", "at most"),
        ({"price": ""}, "price", "required"),
        ({"stock": "-1"}, "stock", "from 0"),
        ({"stock": "lots"}, "stock", "whole number"),
        ({"stock": ""}, "stock", "required"),
        ({"sku": ""}, "sku", "required"),
        ({"sku": "S" * 65}, "sku", "at most 64"),
        ({"sku": "sc-1"}, "sku", "Another variant"),
        ({"options": "Colour Indigo"}, "options", "name: value"),
        ({"options": "Colour: Indigo"}, "options", "exactly these options"),
        ({"options": "Colour: " + "x" * 61}, "options", "at most 60"),
    ],
)
def test_cat_1_variant_bad_input_shows_row_errors(seller, product, overrides, field, fragment):
    response = seller.post(url("variant_add", product.pk), new_variant(**overrides),
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    form = response.context["new_variant_form"]
    assert any(fragment in e for e in form.errors.get(field, [])), form.errors
    assert product.variants.count() == 1
    # Without htmx the full page comes back with the same error.
    response = seller.post(url("variant_add", product.pk), new_variant(**overrides))
    assert response.status_code == 200
    assert response.context["new_variant_form"].errors


def test_cat_1_variant_price_decimals_follow_currency(seller, store):
    product = ProductFactory(store=store, currency="VND", variants=[])
    response = seller.post(url("variant_add", product.pk), new_variant(price="1000.5"))
    assert "whole numbers" in " ".join(response.context["new_variant_form"].errors["price"])
    seller.post(url("variant_add", product.pk), new_variant(price="250000"))
    assert product.variants.get().price_minor == 250000


def test_cat_1_variant_edit_and_delete(seller, product):
    variant = product.variants.get()
    prefix = f"v{variant.pk}"
    response = seller.post(url("variant_edit", product.pk, variant.pk), {
        f"{prefix}-sku": "SC-1", f"{prefix}-options": "Colour: Indigo",
        f"{prefix}-price": "19.99", f"{prefix}-stock": "0"}, HTTP_HX_REQUEST="true")
    assert "Variant SC-1 saved." in response.content.decode()
    variant.refresh_from_db()
    assert (variant.price_minor, variant.stock) == (1999, 0)
    product.refresh_from_db()
    assert (product.min_price_minor, product.total_stock) == (1999, 0)

    response = seller.post(url("variant_edit", product.pk, variant.pk), {
        f"{prefix}-sku": "SC-1", f"{prefix}-options": "", f"{prefix}-price": "-1",
        f"{prefix}-stock": "-4"}, HTTP_HX_REQUEST="true")
    rows = response.context["variant_rows"]
    assert rows[0]["form"].errors.keys() >= {"price", "stock"}

    response = seller.post(url("variant_delete", product.pk, variant.pk), HTTP_HX_REQUEST="true")
    assert "removed" in response.content.decode()
    assert not product.variants.exists()
    product.refresh_from_db()
    assert (product.min_price_minor, product.total_stock) == (0, 0)


# --- images ----------------------------------------------------------------------------------------


def test_cat_1_image_upload_several_with_one_bad(seller, product):
    files = [jpeg_upload(name="front.jpg"), upload(image_bytes("PNG", (300, 300)), "back.png"),
             upload(b"this is text", "notes.jpg")]
    response = seller.post(url("image_upload", product.pk),
                           {"images": files, "alt_text": "Story cloth detail"})
    assert response.status_code == 200
    errors = response.context["upload_form"].errors["images"]
    assert len(errors) == 1 and errors[0].startswith("notes.jpg: ")
    assert product.images.count() == 2
    assert set(product.images.values_list("alt_text", flat=True)) == {"Story cloth detail"}
    assert all(i.thumbnail for i in product.images.all())


def test_cat_1_image_upload_good(seller, product):
    response = seller.post(url("image_upload", product.pk), {"images": [jpeg_upload()]})
    assert response.status_code == 302 and response["Location"].endswith("#images")
    page = seller.get(url("product", product.pk))
    assert b"-thumb.webp" in page.content


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ([], "at least one picture"),
        ([upload(image_bytes("JPEG", (100, 100)), "tiny.jpg")], "at least 200"),
        ([upload(image_bytes("GIF", (300, 300), mode="P", color=1), "a.gif")], "GIF"),
    ],
)
def test_cat_1_image_upload_bad(seller, product, files, fragment):
    response = seller.post(url("image_upload", product.pk), {"images": files})
    assert response.status_code == 200
    assert fragment in " ".join(response.context["upload_form"].errors["images"])
    assert not product.images.exists()


def test_cat_1_image_upload_oversize(seller, product, settings):
    settings.HMONG_POLICY = {"product_image_max_bytes": 20_000}
    big = upload(image_bytes("PNG", (800, 800), noise=True), "big.png")
    response = seller.post(url("image_upload", product.pk), {"images": [big]})
    assert "MB" in " ".join(response.context["upload_form"].errors["images"])


def test_cat_1_image_alt_too_long_and_edit_and_delete(seller, product):
    response = seller.post(url("image_upload", product.pk),
                           {"images": [jpeg_upload()], "alt_text": "x" * 201})
    assert response.context["upload_form"].errors["alt_text"]
    seller.post(url("image_upload", product.pk), {"images": [jpeg_upload()]})
    image = product.images.get()
    seller.post(url("image_edit", product.pk, image.pk), {f"img{image.pk}-alt_text": "Front"})
    image.refresh_from_db()
    assert image.alt_text == "Front"
    response = seller.post(url("image_edit", product.pk, image.pk),
                           {f"img{image.pk}-alt_text": "y" * 300}, follow=True)
    assert "at most 200" in response.content.decode()
    seller.post(url("image_delete", product.pk, image.pk))
    assert not product.images.exists()


# --- shipping methods --------------------------------------------------------------------------------


def method_data(**overrides):
    return {"name": "Tracked", "carrier": "Lao Post", "price": "4.50", "currency": "USD",
            "is_tracked": "on"} | overrides


def test_cat_1_shipping_method_pages(seller, store):
    assert seller.get(url("shipping")).status_code == 200
    response = seller.post(url("shipping"), method_data())
    method = store.shipping_methods.get()
    assert response["Location"] == url("shipping_edit", method.pk)
    assert (method.price_minor, method.currency, method.is_tracked) == (450, "USD", True)

    response = seller.post(url("estimate_set", method.pk), {"country": "US", "min_days": "7",
                                                           "max_days": "14"})
    assert response.status_code == 302
    seller.post(url("estimate_set", method.pk), {"country": "", "min_days": "12",
                                                "max_days": "30"})
    page = seller.get(url("shipping_edit", method.pk)).content.decode()
    assert "United States" in page and "Rest of the world" in page and "12–30" in page

    seller.post(url("estimate_delete", method.pk, "ROW"))
    assert list(method.estimates.values_list("country", flat=True)) == ["US"]
    assert seller.post(url("estimate_delete", method.pk, "FR")).status_code == 404

    seller.post(url("shipping_edit", method.pk), method_data(price="0", is_tracked=""))
    method.refresh_from_db()
    assert (method.price_minor, method.is_tracked) == (0, False)

    seller.post(url("shipping_delete", method.pk))
    assert not store.shipping_methods.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"name": ""}, "name", "required"),
        ({"carrier": "c" * 81}, "carrier", "at most 80"),
        ({"price": "-1"}, "price", "negative"),
        ({"price": "4.505"}, "price", "at most 2 decimals"),
        ({"price": "four"}, "price", "digits"),
        ({"price": ""}, "price", "required"),
        ({"currency": "ZZZ"}, "currency", "not a currency"),
    ],
)
def test_cat_1_shipping_method_bad_input(seller, store, overrides, field, fragment):
    response = seller.post(url("shipping"), method_data(**overrides))
    assert response.status_code == 200
    assert any(fragment in e for e in errors_of(response, field)), response.context["form"].errors
    assert not store.shipping_methods.exists()


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"country": "ZZ", "min_days": "1", "max_days": "2"}, "country", "country code"),
        ({"country": "", "min_days": "9", "max_days": "2"}, "max_days", "shorter"),
        ({"country": "", "min_days": "0", "max_days": "2"}, "min_days", "from 1 to 120"),
        ({"country": "", "min_days": "1", "max_days": "500"}, "max_days", "from 1 to 120"),
        ({"country": "", "min_days": "x", "max_days": "2"}, "min_days", "whole number"),
        ({"country": "", "min_days": "", "max_days": "2"}, "min_days", "required"),
    ],
)
def test_cat_1_estimate_bad_input(seller, store, data, field, fragment):
    method = ShippingMethodFactory(store=store)
    response = seller.post(url("estimate_set", method.pk), data)
    assert response.status_code == 200
    errors = response.context["estimate_form"].errors.get(field, [])
    assert any(fragment in e for e in errors), response.context["estimate_form"].errors
    assert not method.estimates.exists()


def test_cat_1_pages_queries_do_not_grow_with_rows(seller, store, product):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(name, *args) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert seller.get(url(name, *args)).status_code == 200
        return len(queries)

    method = ShippingMethodFactory(store=store)
    DeliveryEstimateFactory(method=method)
    ProductImageFactory(product=product)
    before = {"products": count("products"), "shipping": count("shipping"),
              "product": count("product", product.pk), "home": count("home")}
    for i in range(4):
        ProductFactory(store=store, variants=[{"price_minor": 100, "stock": 0}])
        other = ShippingMethodFactory(store=store)
        DeliveryEstimateFactory(method=other, country="US")
        ProductImageFactory(product=product)
        product.variants.create(sku=f"X{i}", options={"n": str(i)}, price_minor=5, stock=1)
    after = {"products": count("products"), "shipping": count("shipping"),
             "product": count("product", product.pk), "home": count("home")}
    assert after == before
