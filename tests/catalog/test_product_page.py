"""The product page — RULE CAT-3 (badges, processing and delivery times, promotions, contact)
and RULE CAT-1 (variants with price and stock, images, shipping estimates per country)."""

import re

import pytest
from django.urls import reverse

from core.middleware import COUNTRY_COOKIE, CURRENCY_COOKIE
from tests.factories import (
    DeliveryEstimateFactory,
    ProductFactory,
    ProductImageFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)
from wishlist.models import WishItem

pytestmark = pytest.mark.django_db


def page(client, product, **cookies) -> str:
    for name, value in cookies.items():
        client.cookies[name] = value
    response = client.get(reverse("catalog:product", args=[product.slug]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def shirt():
    store = StoreFactory(name="Yang Stitching", ships_from="TH")
    product = ProductFactory(
        title="Embroidered shirt", store=store, processing_days=4, free_return=True,
        warranty=True,
        variants=[
            {"price_minor": 4500, "stock": 3, "options": {"Colour": "Indigo", "Size": "M"}},
            {"price_minor": 5200, "stock": 0, "options": {"Colour": "Red", "Size": "L"}},
        ],
    )
    post = ShippingMethodFactory(store=store, name="Economy", carrier="Thailand Post",
                                 price_minor=0)
    DeliveryEstimateFactory(method=post, country="US", min_days=12, max_days=25)
    DeliveryEstimateFactory(method=post, country="", min_days=20, max_days=40)
    express = ShippingMethodFactory(store=store, name="Express", carrier="DHL", price_minor=1800)
    DeliveryEstimateFactory(method=express, country="US", min_days=3, max_days=5)
    product.shipping_methods.add(post, express)
    return product


def test_cat_3_variants_with_price_and_stock(client, shirt):
    html = page(client, shirt)
    assert "<h1 id=\"product-title\">Embroidered shirt</h1>" in html
    # the picker: one option per variant carrying its price and stock (static/js/site.js)
    picker = re.search(r"<select[^>]*data-variant-picker.*?</select>", html, re.S).group(0)
    indigo, red = shirt.variants.order_by("position")
    assert f'value="{indigo.pk}" data-price="$45.00" data-stock="3" selected' in picker
    assert f'value="{red.pk}" data-price="$52.00" data-stock="0" disabled' in picker
    assert '<label for="variant-picker">Option</label>' in html
    assert '<span data-variant-price>$45.00</span>' in html
    assert '<span data-variant-stock>3</span> in stock' in html
    # the table of every variant (PostgreSQL's jsonb may reorder the option names)
    assert "Colour: Indigo" in indigo.label and "Size: M" in indigo.label
    assert f"<tr><td>{indigo.label}</td><td>$45.00</td><td>3</td></tr>" in html
    assert f"<tr><td>{red.label}</td><td>$52.00</td><td>Sold out</td></tr>" in html


def test_cat_3_add_to_cart_form_posts_variant_and_quantity(client, shirt):
    html = page(client, shirt)
    form = re.search(r'<form class="buy-form[^>]*>.*?</form>', html, re.S).group(0)
    assert f'action="{reverse("cart:add")}"' in form and 'method="post"' in form
    assert 'name="variant_id"' in form and 'name="quantity"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert '<label for="quantity">Quantity</label>' in form
    assert f'<input type="hidden" name="next" value="{shirt.get_absolute_url()}">' in form
    assert f'hx-post="{reverse("cart:add")}" hx-target="#cart-add-result"' in form
    assert '<div id="cart-add-result" aria-live="polite"></div>' in form


def test_cat_3_single_variant_has_a_hidden_field_and_sold_out_disables_the_button(client):
    product = ProductFactory(variants=[{"price_minor": 1000, "stock": 0}])
    html = page(client, product)
    variant = product.variants.get()
    assert f'<input type="hidden" name="variant_id" value="{variant.pk}">' in html
    assert '<button type="submit" disabled>Add to cart</button>' in html
    assert "Out of stock</li>" in html


def test_cat_3_processing_time(client, shirt):
    assert "Ships within 4 business days" in page(client, shirt)


def test_cat_3_processing_time_defaults_to_the_policy(client):
    assert "Ships within 7 business days" in page(client, ProductFactory())


def test_cat_3_delivery_estimate_for_the_visitors_country(client, shirt):
    html = page(client, shirt, **{COUNTRY_COOKIE: "US"})
    assert "Delivery to United States" in html
    economy = re.search(r"Economy.*?</tr>", html, re.S).group(0)
    assert "12–25 days" in economy and "general estimate" not in economy and "Free" in economy
    express = re.search(r"Express.*?</tr>", html, re.S).group(0)
    assert "3–5 days" in express and "$18.00" in express and "DHL" in express


def test_cat_3_delivery_estimate_falls_back_and_says_when_a_method_does_not_deliver(client, shirt):
    html = page(client, shirt, **{COUNTRY_COOKIE: "FR"})
    assert "Delivery to France" in html
    economy = re.search(r"Economy.*?</tr>", html, re.S).group(0)
    assert "20–40 days" in economy and "(general estimate)" in economy
    express = re.search(r"Express.*?</tr>", html, re.S).group(0)
    assert "Does not deliver to France" in express


def test_cat_3_no_method_delivers_there(client):
    store = StoreFactory()
    method = ShippingMethodFactory(store=store)
    DeliveryEstimateFactory(method=method, country="US")
    product = ProductFactory(store=store)
    product.shipping_methods.add(method)
    html = page(client, product, **{COUNTRY_COOKIE: "BR"})
    assert "None of this seller's shipping methods delivers to Brazil" in html


def test_cat_3_no_shipping_method_at_all(client):
    html = page(client, ProductFactory())
    assert "has not added a shipping method" in html


def test_cat_3_free_return_and_warranty_badges(client, shirt):
    html = page(client, shirt)
    assert "Free Return · 15 days" in html
    assert "Warranty · 1 year" in html


def test_cat_3_no_badges_when_none_apply(client):
    html = page(client, ProductFactory())
    assert "Free Return ·" not in html and "Warranty ·" not in html and "Domestic" not in html


def test_cat_3_domestic_delivery_is_highlighted_in_the_warehouse_country(client):
    product = ProductFactory(domestic_delivery=True, warehouse_country="FR")
    at_home = page(client, product, **{COUNTRY_COOKIE: "FR"})
    assert "Domestic delivery from a warehouse in France: no customs duties" in at_home
    assert 'class="badge domestic here"' in at_home
    abroad = page(client, product, **{COUNTRY_COOKIE: "US"})
    assert "Domestic delivery within France" in abroad
    assert "no customs duties" not in abroad


def test_cat_3_store_link_contact_seller_and_promotions(client, shirt):
    html = page(client, shirt)
    assert f'<a href="/s/{shirt.store.slug}/">Yang Stitching</a> · ships from Thailand' in html
    assert f'href="{reverse("catalog:contact_seller", args=[shirt.slug])}"' in html
    assert ">Contact seller</a>" in html
    # CPN-4: the store's promotions are filled per person on load (tests/coupons/test_pages_buyer.py)
    box = f'hx-get="/coupons/store/{shirt.store.slug}/?product={shirt.pk}"'
    assert "Store promotions" in html and box in html


def test_cat_1_images_main_and_thumbnails(client):
    product = ProductFactory(title="Bag")
    ProductImageFactory(product=product, position=2, alt_text="The back")
    ProductImageFactory(product=product, position=1, alt_text="The front")
    html = page(client, product)
    assert re.search(r'<img class="main-image" src="/media/products/\d+/[^"]+" alt="The front"', html)
    thumbs = re.search(r'<ul class="thumbs".*?</ul>', html, re.S).group(0)
    assert thumbs.count("<img") == 2 and 'alt="The back"' in thumbs


def test_cat_1_placeholder_when_there_is_no_image(client):
    html = page(client, ProductFactory())
    assert 'aria-label="No picture yet"' in html


def test_prices_in_the_display_currency(client, shirt):
    html = page(client, shirt, **{CURRENCY_COOKIE: "EUR"})
    assert "≈ €41.40" in html  # $45.00 × 0.92


def test_wish_toggle_shows_the_persons_own_state(client, shirt):
    mai, tou = UserFactory(), UserFactory()
    WishItem.objects.create(user=mai, product=shirt, price_when_added_minor=4500)
    toggle = f'action="/wishlist/toggle/{shirt.pk}/"'

    anonymous = page(client, shirt)
    assert toggle in anonymous and 'aria-pressed="false"' in anonymous
    client.force_login(mai)
    assert 'aria-pressed="true"' in page(client, shirt)
    client.force_login(tou)
    assert 'aria-pressed="true"' not in page(client, shirt)


def test_each_visitor_gets_a_fresh_csrf_token_in_the_cached_page(client, shirt):
    first = page(client, shirt)
    second = page(client, shirt)
    assert "<!--slot:" not in first and "<!--slot:" not in second
    token = re.compile(r'<form class="buy-form.*?name="csrfmiddlewaretoken" value="([^"]+)"', re.S)
    assert token.search(first) and token.search(second)


def test_unknown_or_hidden_product_is_404(client):
    assert client.get(reverse("catalog:product", args=["nope"])).status_code == 404
    hidden = ProductFactory(is_active=False)
    assert client.get(reverse("catalog:product", args=[hidden.slug])).status_code == 404
    closed = ProductFactory(store=StoreFactory(is_active=False))
    assert client.get(reverse("catalog:product", args=[closed.slug])).status_code == 404


def test_product_page_query_counts(client, shirt, django_assert_max_num_queries):
    ProductImageFactory(product=shirt)
    url = reverse("catalog:product", args=[shirt.slug])
    # cold: version, product, variants, images, methods, estimates
    with django_assert_max_num_queries(6):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(1):  # warm, anonymous: the catalog version only
        assert client.get(url).status_code == 200
    client.force_login(UserFactory())
    with django_assert_max_num_queries(6):  # + session, user, wished, header counts
        assert client.get(url).status_code == 200


# --- contact seller (CAT-3 entry point) -------------------------------------------------

def test_cat_3_contact_seller_needs_sign_in(client, shirt):
    url = reverse("catalog:contact_seller", args=[shirt.slug])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_cat_3_contact_seller_opens_the_chat_with_this_product(client, shirt):
    """MSG-1: the product page's "Contact seller" leads to the chat with the store, carrying the product."""
    client.force_login(UserFactory())
    response = client.get(reverse("catalog:contact_seller", args=[shirt.slug]))
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("messaging:to_store", args=[shirt.store_id]) + f"?product={shirt.pk}"
    )
    assert client.get(reverse("catalog:contact_seller", args=["nope"])).status_code == 404


def test_cat_3_the_add_to_cart_form_fields_fit_cart_add(client, shirt):
    """The product page's form, posted as a browser would, puts the variant in the cart."""
    from cart.models import CartLine

    user = UserFactory()
    client.force_login(user)
    html = page(client, shirt)
    variant_id = re.search(r'<option value="(\d+)"[^>]* selected', html).group(1)
    response = client.post(reverse("cart:add"), {"variant_id": variant_id, "quantity": "2",
                                                  "next": shirt.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == shirt.get_absolute_url()
    line = CartLine.objects.get(user=user)
    assert (line.variant_id, line.quantity) == (int(variant_id), 2)
