"""The coupons feature's last gaps: demo data, the sale pages list, COD refund coupons on the
checkout page, one decision for a pick in preview and checkout, the engine seeing exactly the
lines to be ordered, and a failed refund giving back the platform's share.

RULE CPN-1 (every kind in the demo), CPN-3 (two platform offers never combine, alike in the
preview and the checkout), CPN-4 (sale pages reachable from the header), CPN-5 (the discount
shown is the discount placed), CPN-7 (who funds a refund's share), PAY-4 (COD refund coupons).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from cart.models import CartLine
from core.errors import DomainError
from coupons import selectors
from coupons.demo import BUYER_HOLDS, DEMO_CODES, SALE_SLUG, demo_coupons
from coupons.models import (
    PLATFORM_KINDS,
    CollectedCoupon,
    Kind,
    OrderDiscount,
    Promotion,
    RefundCouponUse,
    SalePage,
)
from coupons.views import platform_offers_for
from ledger.models import Account
from ledger.services import ledger_refund_failed
from orders.models import Order
from orders.services import checkout_pay, checkout_place
from payments.models import Refund, RefundCoupon
from payments.providers.simulated import SUCCESS_TOKEN
from payments.services import refund_order_amount
from tests.coupons.factories import T0, buyer_make, cart_add, promotion_make, sellable, store_make
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _at_t0():
    with time_machine.travel(T0, tick=False):
        yield


def place(buyer, address, key="k1", **kw):
    return checkout_place(buyer=buyer, address=address, idempotency_key=key, now=T0, **kw)


def balance(kind, **owner):
    account = Account.objects.filter(kind=kind, **owner).first()
    return account.balance_minor if account else 0


# --- 1. demo data (CPN-1, CPN-4) ---------------------------------------------------------------


def test_cpn1_demo_coupons_every_kind_and_a_running_sale_idempotently():
    from core.demo import content

    stores = {spec.key: StoreFactory(currency=spec.currency) for spec in content.STORES}
    staff, buyer = UserFactory(is_staff=True), UserFactory()
    created = Counter()
    codes = demo_coupons(stores=stores, staff=staff, buyer=buyer, now=T0, created=created)
    assert {p.kind for p in Promotion.objects.all()} == set(Kind.values)  # all five kinds
    assert [c for c, _ in codes] == [c for c, _ in DEMO_CODES]
    page = SalePage.objects.get(slug=SALE_SLUG)
    assert page.starts_at <= T0 < page.ends_at
    assert len(platform_offers_for(now=T0, sale_page=page)) == 2  # collectable there
    assert set(CollectedCoupon.objects.filter(user=buyer).values_list("promotion__title", flat=True)) == set(
        BUYER_HOLDS
    )
    # Store promotions are in the store's currency (e.g. a fixed amount in kip for the Lao store).
    for promotion in Promotion.objects.exclude(kind__in=PLATFORM_KINDS):
        assert promotion.currency == promotion.store.currency
    rows = Promotion.objects.count()
    again = Counter()
    assert demo_coupons(stores=stores, staff=staff, buyer=buyer, now=T0 + DAY, created=again) == codes
    assert not again and Promotion.objects.count() == rows and SalePage.objects.count() == 1


def test_cpn1_seed_demo_prints_the_demo_promo_codes_with_the_logins():
    out = io.StringIO()
    call_command("seed_demo", "--products", "0", "--no-images", stdout=out)
    text = out.getvalue()
    assert "Demo logins" in text and "Demo promo codes:" in text
    for code, _ in DEMO_CODES:
        assert code in text
        assert Promotion.objects.filter(code=code, archived=False).exists()


def test_cpn1_serve_welcome_prints_the_demo_promo_codes_next_to_the_logins():
    from core.demo import content
    from core.management.commands.serve import Command

    UserFactory(email=content.BUYER.email)
    command = Command(stdout=io.StringIO())
    command._print_welcome("127.0.0.1", 8000)
    assert "Demo promo codes" not in command.stdout.getvalue()  # none in this database yet
    stores = {spec.key: StoreFactory(currency=spec.currency) for spec in content.STORES}
    staff = UserFactory(is_staff=True)
    demo_coupons(stores=stores, staff=staff, buyer=UserFactory(), now=T0, created=Counter())
    command = Command(stdout=io.StringIO())
    command._print_welcome("127.0.0.1", 8000)
    text = command.stdout.getvalue()
    assert "Demo logins" in text and "Demo promo codes:" in text and "HMONG5" in text


# --- 2. the sale pages list (CPN-4) ---------------------------------------------------------------


def _sale(slug, start, end):
    return SalePage.objects.create(name=slug.title(), slug=slug, starts_at=start, ends_at=end,
                                   created_at=T0, updated_at=T0)


def test_cpn4_sales_page_lists_the_running_sale_pages_and_the_header_links_to_it(client):
    running = _sale("harvest", T0 - DAY, T0 + DAY)
    _sale("soon", T0 + DAY, T0 + 2 * DAY)
    _sale("over", T0 - 2 * DAY, T0 - DAY)
    promotion_make(Kind.PLATFORM_COUPON, sale_page=running, title="Harvest five")
    response = client.get(reverse("coupons:sales"))
    assert response.status_code == 200
    assert [p.slug for p in response.context["pages"]] == ["harvest"]
    assert response.context["pages"][0].coupon_count == 1
    html = response.content.decode()
    assert reverse("coupons:sale_page", args=["harvest"]) in html and "/sale/soon/" not in html
    home = client.get("/").content.decode()
    assert f'href="{reverse("coupons:sales")}"' in home
    client.force_login(UserFactory())
    body = client.get("/api/v1/coupons/sales").json()
    assert [(p["slug"], [c["title"] for c in p["coupons"]]) for p in body] == [("harvest", ["Harvest five"])]
    # The boundary: the sale ending now is no longer listed.
    with time_machine.travel(T0 + DAY, tick=False):
        assert [p.slug for p in client.get(reverse("coupons:sales")).context["pages"]] == ["soon"]


# --- 3. COD refund coupons at checkout (PAY-4) ------------------------------------------------------


@pytest.fixture
def refund_coupon_buyer(client):
    store = store_make(currency="USD")
    variant = sellable(store, price=3_000)
    buyer, address = buyer_make()
    cart_add(buyer, variant)
    old = Order.objects.get(checkout=place(buyer, address, key="old"))
    refund = Refund.objects.create(order=old, amount_minor=1_200, currency="USD", destination="coupon",
                                   reason="COD refund", idempotency_key="cod-1", created_at=T0)
    coupon = RefundCoupon.objects.create(refund=refund, owner=buyer, code="RF-PAGE", amount_minor=1_200,
                                         currency="USD", created_at=T0)
    cart_add(buyer, variant)
    client.force_login(buyer)
    return {"buyer": buyer, "address": address, "coupon": coupon, "variant": variant}


def test_pay4_checkout_page_spends_a_cod_refund_coupon_by_default_once(client, refund_coupon_buyer):
    buyer, address, coupon = (refund_coupon_buyer[k] for k in ("buyer", "address", "coupon"))
    response = client.get(reverse("checkout:start"))
    coupons = response.context["coupons"]
    assert [c["code"] for c in coupons["refund_coupons"]] == ["RF-PAGE"]
    assert not coupons["refund_coupons_kept"]
    store_preview = response.context["preview"].stores[0]
    assert store_preview.discount.amount == 1_200
    assert store_preview.total.amount == 3_000 + store_preview.shipping.amount - 1_200
    html = response.content.decode()
    assert 'name="keep_refund_coupons"' in html and "RF-PAGE" in html
    # "Keep them": not used in the summary.
    kept = client.get(reverse("checkout:start"), {"keep_refund_coupons": "1"}, **HX)
    assert kept.context["coupons"]["refund_coupons_kept"]
    assert kept.context["preview"].stores[0].discount is None
    # Placing from the page spends it, once.
    response = client.post(reverse("checkout:start"), {
        "address": str(address.pk), "idempotency_key": "page-1", "selection": "best"})
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.filter(buyer=buyer).latest("pk")
    assert order.discount_total_minor == 1_200
    assert order.total_minor == order.items_total_minor + order.shipping_total_minor - 1_200
    assert OrderDiscount.objects.get(order=order).refund_coupon == coupon
    assert RefundCouponUse.objects.filter(refund_coupon=coupon).count() == 1
    # Spent: the next checkout has no refund coupon to use.
    cart_add(buyer, refund_coupon_buyer["variant"])
    assert client.get(reverse("checkout:start")).context["coupons"]["refund_coupons"] == []
    client.post(reverse("checkout:start"), {
        "address": str(address.pk), "idempotency_key": "page-2", "selection": "best"})
    assert Order.objects.filter(buyer=buyer).latest("pk").discount_total_minor == 0
    assert RefundCouponUse.objects.filter(refund_coupon=coupon).count() == 1


def test_pay4_keeping_refund_coupons_at_checkout_places_without_them(client, refund_coupon_buyer):
    buyer, address = refund_coupon_buyer["buyer"], refund_coupon_buyer["address"]
    response = client.post(reverse("checkout:start"), {
        "address": str(address.pk), "idempotency_key": "keep-1", "selection": "best",
        "keep_refund_coupons": "1"})
    assert response.status_code == 302
    assert Order.objects.filter(buyer=buyer).latest("pk").discount_total_minor == 0
    assert not RefundCouponUse.objects.exists()


def test_pay4_my_coupons_page_and_api_list_refund_coupons(client, refund_coupon_buyer):
    html = client.get(reverse("coupons:mine")).content.decode()
    assert "RF-PAGE" in html and "$12.00" in html
    body = client.get("/api/v1/coupons/mine").json()
    assert body["refund_coupons"] == [{"code": "RF-PAGE", "currency": "USD", "left_minor": 1_200}]


# --- 4. one function decides a pick (CPN-3) ---------------------------------------------------------


def test_cpn3_two_platform_offers_refused_alike_in_preview_api_and_checkout(client):
    store = store_make(currency="USD")
    buyer, address = buyer_make()
    cart_add(buyer, sellable(store, price=5_000))
    first = promotion_make(Kind.PLATFORM_COUPON, amount_minor=300, collect_for=buyer)
    code = promotion_make(Kind.PLATFORM_CODE, amount_minor=500, code="TWOPLAT")
    ids = [first.pk, code.pk]
    preview = selectors.checkout_preview(user=buyer, now=T0, codes=["twoplat"], promotion_ids=ids)
    assert preview["picked"]["refusal"]["code"] == "cannot_combine"
    client.force_login(buyer)
    response = client.post("/api/v1/coupons/checkout-preview",
                           data=json.dumps({"codes": ["TWOPLAT"], "promotion_ids": ids}),
                           content_type="application/json")
    assert response.status_code == 200
    assert response.json()["picked"]["refusal"]["code"] == "cannot_combine"
    with pytest.raises(DomainError) as excinfo:
        place(buyer, address, promotion_ids=ids, codes=["TWOPLAT"])
    assert excinfo.value.code == "cannot_combine"
    assert not Order.objects.exists()
    # One of them alone is accepted by both.
    alone = selectors.checkout_preview(user=buyer, now=T0, codes=["twoplat"], promotion_ids=[code.pk])
    assert alone["picked"]["refusal"] is None
    assert Order.objects.get(checkout=place(buyer, address, promotion_ids=[code.pk], codes=["TWOPLAT"])) \
        .discount_total_minor == 500


def test_cpn6_preview_refuses_an_unknown_pick_like_the_checkout():
    store = store_make(currency="USD")
    buyer, address = buyer_make()
    cart_add(buyer, sellable(store, price=5_000))
    preview = selectors.checkout_preview(user=buyer, now=T0, promotion_ids=[987654])
    assert preview["picked"]["refusal"]["code"] == "unknown_promotion"
    with pytest.raises(DomainError) as excinfo:
        place(buyer, address, promotion_ids=[987654])
    assert excinfo.value.code == "unknown_promotion"


# --- 5. the engine sees exactly the lines to be ordered (CPN-5) --------------------------------------


def test_cpn5_a_cart_line_with_a_stock_problem_is_left_out_of_the_discount_shown(client):
    store = store_make(currency="USD")
    buyer, _address = buyer_make()
    ok = sellable(store, price=4_000)
    short = sellable(store, price=6_000, stock=1)
    cart_add(buyer, ok)
    CartLine.objects.create(user=buyer, variant=short, quantity=3, price_seen_minor=6_000)  # only 1 left
    promotion_make(Kind.STORE_INSTANT, store=store, percent_bp=1000)
    inputs = selectors.cart_as_input(user=buyer)
    assert [line.key for line in inputs[0].lines] == [ok.pk]
    client.force_login(buyer)
    response = client.get(reverse("checkout:start"))
    store_preview = response.context["preview"].stores[0]
    assert store_preview.items.amount == 4_000
    assert store_preview.discount.amount == 400  # 10 % of what will be ordered, not of 22 000
    # Fixed: the line counts again.
    CartLine.objects.filter(variant=short).update(quantity=1)
    response = client.get(reverse("checkout:start"))
    assert response.context["preview"].stores[0].discount.amount == 1_000


# --- 6. a failed refund gives the platform's share back to escrow (CPN-7) -----------------------------


def test_cpn7_a_refund_failing_at_the_provider_reverses_the_platform_share():
    store = store_make(currency="USD")
    buyer, address = buyer_make()
    cart_add(buyer, sellable(store, price=3_000), sellable(store, price=7_000))  # 10 000 + 500 shipping
    promotion_make(Kind.PLATFORM_COUPON, amount_minor=1_900, collect_for=buyer)
    checkout = place(buyer, address)
    checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key="p1", now=T0)
    order = Order.objects.get(checkout=checkout)
    escrow = Account.objects.get(kind="order_escrow", order=order)
    assert order.total_minor == 8_600 and escrow.balance_minor == 10_500
    refund = refund_order_amount(order=order, amount_minor=4_300, reason="Half", event_key="half", now=T0)
    assert balance("platform_discounts") == -1_900 + 950
    # The provider refuses the payout (what payments.tasks.refund_execute records and then calls).
    Refund.objects.filter(pk=refund.pk).update(state=Refund.State.FAILED)
    refund.refresh_from_db()
    ledger_refund_failed(refund=refund, now=T0)
    escrow.refresh_from_db()
    assert escrow.balance_minor == 10_500 and balance("platform_discounts") == -1_900
    ledger_refund_failed(refund=refund, now=T0)  # idempotent
    assert balance("platform_discounts") == -1_900
    # A later refund of everything returns exactly the platform's whole share.
    refund_order_amount(order=order, amount_minor=8_600, reason="All", event_key="all", now=T0)
    escrow.refresh_from_db()
    assert escrow.balance_minor == 0 and balance("platform_discounts") == 0


def test_cpn6_promo_code_box_measures_the_minimum_spend_after_instant_discounts_like_checkout():
    store = store_make(currency="USD")
    buyer, address = buyer_make()
    cart_add(buyer, sellable(store, price=4_000))
    promotion_make(Kind.STORE_INSTANT, store=store, percent_bp=1000)  # 4 000 → 3 600 left
    promotion_make(Kind.PLATFORM_CODE, amount_minor=500, code="MIN40", min_spend_minor=4_000)
    offer, refusal = selectors.promo_code_check(user=buyer, code=" min40 ", now=T0)
    assert offer is not None and refusal.code == "min_spend_not_met"
    assert refusal.data["short_minor"] == 400
    with pytest.raises(DomainError) as excinfo:
        place(buyer, address, codes=["MIN40"])
    assert excinfo.value.code == "min_spend_not_met"
    Promotion.objects.filter(code="MIN40").update(min_spend_minor=3_600)  # exactly met
    assert selectors.promo_code_check(user=buyer, code="MIN40", now=T0)[1] is None
    assert Order.objects.get(checkout=place(buyer, address, codes=["MIN40"])).discount_total_minor == 900


def test_pay4_api_checkout_spends_a_cod_refund_coupon_when_asked(client, refund_coupon_buyer):
    buyer, address, coupon = (refund_coupon_buyer[k] for k in ("buyer", "address", "coupon"))
    body = {"address_id": address.pk, "idempotency_key": "api-keep", "use_refund_coupons": False}
    response = client.post("/api/v1/checkout", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    assert Order.objects.filter(buyer=buyer).latest("pk").discount_total_minor == 0
    cart_add(buyer, refund_coupon_buyer["variant"])
    body = {"address_id": address.pk, "idempotency_key": "api-use", "use_refund_coupons": True}
    response = client.post("/api/v1/checkout", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    order = Order.objects.filter(buyer=buyer).latest("pk")
    assert order.discount_total_minor == 1_200
    assert RefundCouponUse.objects.get(refund_coupon=coupon).order == order


# --- 7. following a store, for followers-only offers (CPN-2) ------------------------------------------


def test_cpn2_a_buyer_follows_a_store_to_get_its_followers_only_coupon(client):
    store = store_make(currency="USD")
    buyer, _ = buyer_make()
    client.force_login(buyer)
    only = promotion_make(Kind.STORE_COUPON, store=store, eligible_users="followers", title="Fans four")
    url = reverse("coupons:store_offers", args=[store.slug])
    html = client.get(url, **HX).content.decode()
    assert "For the store's followers." in html and 'value="follow"' in html
    refused = client.post(reverse("coupons:collect", args=[only.pk]), {"next": "/"}, **HX)
    assert "only for the store" in refused.content.decode()  # CPN-6: not for this user, says why
    assert not CollectedCoupon.objects.filter(user=buyer).exists()
    follow_url = reverse("coupons:follow", args=[store.slug])
    response = client.post(follow_url, {"action": "follow", "next": url}, **HX)
    assert response.status_code == 200 and response.context["following"]
    assert 'value="unfollow"' in response.content.decode()
    client.post(reverse("coupons:collect", args=[only.pk]), {"next": "/"}, **HX)
    assert CollectedCoupon.objects.filter(user=buyer, promotion=only).exists()
    response = client.post(follow_url, {"action": "unfollow", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert not selectors.buyer_facts(user=buyer, promotion_ids=[only.pk]).followed_store_ids
