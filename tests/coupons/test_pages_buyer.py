"""Buyer pages of coupons.

RULE CPN-4: "Get coupon" on product and store pages (the cached catalog page holds only an
empty box that htmx fills per person), in the cart and on sale pages; "My Coupons" grouped as
valid / not yet active / expired / used. RULE CPN-5: checkout preselects the best combination,
lets the buyer switch, shows the final price and the saving per source. RULE CPN-6: every
refusal (promo code box, coupons that do not apply) says exactly why.
"""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Address
from cart.models import CartLine
from coupons.models import CollectedCoupon, Kind, OrderDiscount, Promotion
from orders.models import Order
from tests.coupons.test_manage import DAY, SECOND, T0, make_promotion, sellable, staff_user
from tests.factories import AddressFactory, ProductFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _at_t0():
    with time_machine.travel(T0, tick=False):
        yield


@pytest.fixture
def store():
    return StoreFactory(name="Nyiaj Silver Studio", currency="USD")


@pytest.fixture
def product(store):
    variant = sellable(store, price=10_000)
    return variant.product


@pytest.fixture
def buyer(client):
    person = UserFactory()
    AddressFactory(user=person)
    client.force_login(person)
    return person


def offers_url(store, product=None) -> str:
    url = reverse("coupons:store_offers", args=[store.slug])
    return f"{url}?product={product.pk}" if product else url


def collect(client, promotion, **extra):
    return client.post(reverse("coupons:collect", args=[promotion.pk]), {"next": "/"}, **extra)


# --- product and store pages (CPN-4) -------------------------------------------------------------


def test_cpn4_product_page_box_holds_nothing_personal(client, store, product):
    coupon = make_promotion(store, kind=Kind.STORE_COUPON, title="Silver coupon")
    box = f'hx-get="{offers_url(store, product)}"'.replace("&", "&amp;")
    for _ in range(2):  # the second one comes from the whole-page cache
        html = client.get(product.get_absolute_url()).content.decode()
        assert box in html and 'hx-trigger="load"' in html
        assert "Silver coupon" not in html and "Get coupon" not in html
    client.force_login(UserFactory())
    html = client.get(product.get_absolute_url()).content.decode()
    assert box in html and "Silver coupon" not in html
    assert coupon.pk  # the coupon exists all along; only the per-person box shows it


def test_cpn4_offers_box_per_person_and_product(client, store, product):
    other_product = ProductFactory(store=store)
    make_promotion(store, kind=Kind.STORE_INSTANT, title="Instant five", percent_bp=500)
    make_promotion(store, kind=Kind.STORE_CODE, title="Code ten", code="SILVER10")
    coupon = make_promotion(store, kind=Kind.STORE_COUPON, title="Silver coupon", amount_minor=700,
                            percent_bp=None)
    make_promotion(store, kind=Kind.STORE_COUPON, title="Only the other one", product_ids=[other_product.pk])
    make_promotion(store, kind=Kind.STORE_COUPON, title="Not yet", starts_at=T0 + DAY, ends_at=T0 + 2 * DAY)
    paused = make_promotion(store, kind=Kind.STORE_COUPON, title="Paused one")
    Promotion.objects.filter(pk=paused.pk).update(paused=True)

    response = client.get(offers_url(store, product), **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    assert "Instant five" in html and "Taken off at checkout by itself." in html
    assert "SILVER10" in html and "Silver coupon" in html and "$7.00 off" in html
    assert "Only the other one" not in html and "Not yet" not in html and "Paused one" not in html
    assert html.count("Get coupon") == 1
    assert "Only the other one" in client.get(offers_url(store), **HX).content.decode()  # the store page

    first, second = UserFactory(), UserFactory()
    CollectedCoupon.objects.create(user=first, promotion=coupon, collected_at=T0)
    client.force_login(first)
    assert "In My Coupons" in client.get(offers_url(store, product), **HX).content.decode()
    client.force_login(second)
    html = client.get(offers_url(store, product), **HX).content.decode()
    assert "In My Coupons" not in html and "Get coupon" in html
    # Without JavaScript the same list is a page of its own.
    page = client.get(offers_url(store, product))
    assert page.status_code == 200 and "<html" in page.content.decode()
    assert client.get(offers_url(StoreFactory(is_active=False))).status_code == 404


def test_cpn4_store_page_has_the_box(client, store, product):
    html = client.get(reverse("catalog:store", args=[store.slug])).content.decode()
    assert f'hx-get="{offers_url(store)}"' in html


def test_cpn4_collect_with_htmx_and_without(client, buyer, store):
    coupon = make_promotion(store, kind=Kind.STORE_COUPON, title="Silver coupon")
    response = collect(client, coupon, **HX)
    assert response.status_code == 200 and "In My Coupons" in response.content.decode()
    assert CollectedCoupon.objects.filter(user=buyer, promotion=coupon).count() == 1
    response = collect(client, coupon)  # again, without htmx: still one, back where it was
    assert response.status_code == 302 and response["Location"] == "/"
    assert CollectedCoupon.objects.filter(user=buyer, promotion=coupon).count() == 1


def test_cpn4_collect_needs_sign_in(client, store):
    coupon = make_promotion(store, kind=Kind.STORE_COUPON)
    response = collect(client, coupon, **HX)
    assert response.status_code == 200 and response["HX-Redirect"].startswith(reverse("account_login"))
    response = collect(client, coupon)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert not CollectedCoupon.objects.exists()


def test_cpn6_collect_refused_says_why(client, buyer, store):
    coupon = make_promotion(store, kind=Kind.STORE_COUPON, total_stock=1)
    Promotion.objects.filter(pk=coupon.pk).update(redeemed_count=1)
    response = collect(client, coupon, **HX)  # htmx swaps only a 200: the card itself says why
    html = response.content.decode()
    assert response.status_code == 200 and "This offer has run out." in html and 'role="alert"' in html
    assert "Get coupon" in html  # still offered: the reason may go away
    response = collect(client, coupon)
    assert response.status_code == 302
    assert not CollectedCoupon.objects.exists()
    assert client.post(reverse("coupons:collect", args=[999_999])).status_code == 404


# --- cart (CPN-4) -------------------------------------------------------------------------------------


def test_cpn4_cart_offers(client, buyer, store, product):
    CartLine.objects.create(user=buyer, variant=product.variants.get(), quantity=1, price_seen_minor=10_000)
    html = client.get(reverse("cart:view")).content.decode()
    assert f'hx-get="{reverse("coupons:cart_offers")}"' in html
    mine = make_promotion(store, kind=Kind.STORE_COUPON, title="Cart store coupon")
    make_promotion(StoreFactory(), kind=Kind.STORE_COUPON, title="Other store coupon")
    make_promotion(None, title="Platform coupon")
    staff = staff_user()
    from coupons import manage

    later = manage.sale_page_create(actor=staff, now=T0, name="Later", slug="later", starts_at=T0 + DAY,
                                    ends_at=T0 + 2 * DAY)
    make_promotion(None, actor=staff, title="Sale coupon later", sale_page_id=later.pk)
    html = client.get(reverse("coupons:cart_offers"), **HX).content.decode()
    assert "Cart store coupon" in html and "Platform coupon" in html
    assert "Other store coupon" not in html and "Sale coupon later" not in html
    assert "Nyiaj Silver Studio" in html  # the store's name next to its coupon
    assert collect(client, mine, **HX).status_code == 200
    assert "In My Coupons" in client.get(reverse("coupons:cart_offers"), **HX).content.decode()
    assert client.get(reverse("coupons:cart_offers")).status_code == 200  # the page without JavaScript


# --- sale pages (CPN-4) ---------------------------------------------------------------------------------


def test_cpn4_sale_page_collect(client, buyer):
    from coupons import manage

    staff = staff_user()
    page = manage.sale_page_create(actor=staff, now=T0, name="Hmong New Year", slug="new-year",
                                   starts_at=T0 - DAY, ends_at=T0 + DAY)
    coupon = make_promotion(None, actor=staff, title="New Year coupon", sale_page_id=page.pk)
    make_promotion(None, actor=staff, title="Not on this page")
    html = client.get(reverse("coupons:sale_page", args=["new-year"])).content.decode()
    assert "Hmong New Year" in html and "New Year coupon" in html and "Get coupon" in html
    assert "Not on this page" not in html
    assert collect(client, coupon, **HX).status_code == 200
    assert CollectedCoupon.objects.filter(user=buyer, promotion=coupon).exists()
    with time_machine.travel(T0 + DAY, tick=False):  # the sale's end: over
        html = client.get(reverse("coupons:sale_page", args=["new-year"])).content.decode()
        assert "This sale is over." in html and "Get coupon" not in html
    with time_machine.travel(T0 - DAY - SECOND, tick=False):
        html = client.get(reverse("coupons:sale_page", args=["new-year"])).content.decode()
        assert "has not started yet" in html
    assert client.get(reverse("coupons:sale_page", args=["nope"])).status_code == 404


# --- My Coupons (CPN-4) --------------------------------------------------------------------------------


def test_cpn4_my_coupons_groups(client, buyer, store):
    def held(title, **fields):
        promotion = make_promotion(store, kind=Kind.STORE_COUPON, title=title, now=T0 - 10 * DAY, **fields)
        CollectedCoupon.objects.create(user=buyer, promotion=promotion, collected_at=T0 - 10 * DAY)
        return promotion

    held("Valid one")
    held("Later one", starts_at=T0 + DAY, ends_at=T0 + 9 * DAY)
    held("Ended one", starts_at=T0 - 9 * DAY, ends_at=T0 - SECOND)
    used = held("Used one", amount_minor=500, percent_bp=None)
    variant = sellable(store, price=10_000)
    CartLine.objects.create(user=buyer, variant=variant, quantity=1, price_seen_minor=10_000)
    from orders.services import checkout_place

    checkout_place(buyer=buyer, address=Address.objects.filter(user=buyer).get(), idempotency_key="k",
                   now=T0, promotion_ids=[used.pk])
    response = client.get(reverse("coupons:mine"))
    groups = {key: [c["title"] for c in items] for key, _title, _hint, items in response.context["sections"]}
    assert groups == {"valid": ["Valid one"], "not_yet_active": ["Later one"], "expired": ["Ended one"],
                      "used": ["Used one"]}
    html = response.content.decode()
    assert "Not yet active" in html and "$5.00 off" in html
    assert client.get(reverse("coupons:mine")).status_code == 200
    client.logout()
    assert client.get(reverse("coupons:mine")).status_code == 302


# --- checkout (CPN-5, CPN-6) ------------------------------------------------------------------------------


@pytest.fixture
def checkout_cart(buyer, store, product):
    """A $100 cart of one store with an instant 5 %, a collected store coupon $10 (min spend $50) and a
    collected platform coupon 20 %, and a store promo code $30 that cannot combine with the platform one."""
    CartLine.objects.create(user=buyer, variant=product.variants.get(), quantity=1, price_seen_minor=10_000)
    instant = make_promotion(store, kind=Kind.STORE_INSTANT, title="Instant 5", percent_bp=500)
    coupon = make_promotion(store, kind=Kind.STORE_COUPON, title="Store 10", percent_bp=None,
                            amount_minor=1000, min_spend_minor=5000)
    platform = make_promotion(None, title="Platform 20", percent_bp=2000)
    code = make_promotion(store, kind=Kind.STORE_CODE, title="Code 30", code="SILVER30", percent_bp=None,
                          amount_minor=3000, min_spend_minor=20_000)
    for promotion in (coupon, platform):
        CollectedCoupon.objects.create(user=buyer, promotion=promotion, collected_at=T0)
    return {"instant": instant, "coupon": coupon, "platform": platform, "code": code}


def summary(client, **params):
    response = client.get(reverse("checkout:start"), params, **HX)
    assert response.status_code == 200
    return response


def test_cpn5_checkout_preselects_best_and_shows_saving_per_source(client, checkout_cart):
    response = client.get(reverse("checkout:start"))
    coupons = response.context["coupons"]
    first = coupons["options"][0]
    assert first["value"] == "best" and first["checked"]
    assert first["titles"] == ["Instant 5", "Store 10", "Platform 20"]
    # 100 − 5 (instant) − 10 (store coupon) − 17 (20 % of the 85 left) = 68 to pay, 32 saved.
    assert [m.amount for m in first["saved"]] == [3200]
    assert {s["title"]: s["money"].amount for s in coupons["savings"]} == \
        {"Instant 5": 500, "Store 10": 1000, "Platform 20": 1700}
    assert {s["funder"] for s in coupons["savings"]} == {"seller", "platform"}
    html = response.content.decode()
    assert "Preselected:" in html and "paid by Hmong Artisans" in html and "−$17.00" in html
    store_preview = response.context["preview"].stores[0]
    assert store_preview.items.amount == 10_000
    assert store_preview.total.amount == 10_000 + store_preview.shipping.amount - 3200
    assert response.context["preview"].totals[0].amount == store_preview.total.amount


def test_cpn5_switch_and_place_the_chosen_combination(client, buyer, checkout_cart):
    ids = sorted([checkout_cart["instant"].pk, checkout_cart["coupon"].pk])
    response = summary(client, selection=",".join(map(str, ids)))
    coupons = response.context["coupons"]
    assert [o["checked"] for o in coupons["options"]].count(True) == 1
    assert {s["title"] for s in coupons["savings"]} == {"Instant 5", "Store 10"}
    assert response.context["preview"].stores[0].discount.amount == 1500
    # "No coupon": the instant discount still applies (CPN-3).
    response = summary(client, selection="none")
    assert {s["title"] for s in response.context["coupons"]["savings"]} == {"Instant 5"}
    assert response.context["coupons"]["none_checked"]
    # Placing with the switched selection applies exactly that.
    address = buyer.addresses.get()
    response = client.post(reverse("checkout:start"), {
        "address": str(address.pk), "idempotency_key": "switch-1", "selection": ",".join(map(str, ids))})
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get(buyer=buyer)
    assert sorted(OrderDiscount.objects.filter(order=order).values_list("title", "amount_minor")) == \
        [("Instant 5", 500), ("Store 10", 1000)]
    assert order.discount_total_minor == 1500


def test_cpn6_picked_combination_refused_falls_back_to_best(client, checkout_cart):
    bad = ",".join(map(str, sorted([checkout_cart["coupon"].pk, checkout_cart["code"].pk])))
    response = summary(client, selection=bad, promo_code="silver30")
    coupons = response.context["coupons"]
    assert coupons["picked_refusal"]
    assert coupons["options"][0]["checked"] and coupons["options"][0]["value"] == "best"


def test_cpn6_promo_code_box_says_exactly_why(client, checkout_cart):
    coupons = summary(client, promo_code="nope 1").context["coupons"]
    assert coupons["code_refusal"] == "There is no promo code NOPE1."
    html = summary(client, promo_code=" silver30 ").content.decode()
    assert "Spend $100.00 more on eligible items to use this offer (minimum $200.00)." in html
    assert 'id="promo-code-message" role="alert"' in html and 'value="silver30"' in html
    # Every collected coupon that does not apply says why.
    Promotion.objects.filter(pk=checkout_cart["coupon"].pk).update(min_spend_minor=20_000)
    html = summary(client).content.decode()
    assert "Store 10</strong>: Spend $" in html and "more on eligible items" in html


def test_cpn5_code_that_applies_is_preselected_and_placed(client, buyer, checkout_cart):
    Promotion.objects.filter(pk=checkout_cart["code"].pk).update(min_spend_minor=0, amount_minor=5000)
    response = summary(client, promo_code="Silver30")
    coupons = response.context["coupons"]
    assert coupons["code_applies"] and coupons["code_used"]
    # A store promo code does not combine with the platform coupon (CPN-3).
    assert {s["title"] for s in coupons["savings"]} == {"Instant 5", "Code 30"}
    address = buyer.addresses.get()
    response = client.post(reverse("checkout:start"), {
        "address": str(address.pk), "idempotency_key": "code-1", "promo_code": "Silver30",
        "selection": "best"})
    assert response.status_code == 302
    order = Order.objects.get(buyer=buyer)
    assert order.discount_total_minor == 500 + 5000


def test_cpn6_placing_with_an_unknown_code_places_nothing(client, buyer, checkout_cart):
    address = buyer.addresses.get()
    response = client.post(reverse("checkout:start"), {
        "address": str(address.pk), "idempotency_key": "bad-code", "promo_code": "NOPE1",
        "selection": "best"})
    assert response.status_code in (404, 409, 422)
    assert "There is no promo code NOPE1." in response.content.decode()
    assert not Order.objects.exists()


def test_cpn4_product_box_follows_category_ancestors(client, store):
    from tests.factories import CategoryFactory

    textiles = CategoryFactory(name="Textiles")
    story = CategoryFactory(name="Story cloths", parent=textiles)
    product = ProductFactory(store=store, category=story)
    make_promotion(store, kind=Kind.STORE_COUPON, title="All textiles", category_ids=[textiles.pk])
    make_promotion(store, kind=Kind.STORE_COUPON, title="Silver only",
                   category_ids=[CategoryFactory(name="Silver").pk])
    html = client.get(offers_url(store, product), **HX).content.decode()
    assert "All textiles" in html and "Silver only" not in html
