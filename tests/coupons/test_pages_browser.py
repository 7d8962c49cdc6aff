"""A buyer in a real browser (htmx on): the product page's promotions box fills in, "Get coupon"
works in place, and at checkout the best combination is preselected, switching changes the
total in place and a wrong promo code says why. RULE CPN-4, CPN-5, CPN-6."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from coupons.models import CollectedCoupon, Kind
from tests.browser.conftest import browser_type_launch_args  # noqa: F401
from tests.coupons.test_manage import make_promotion, sellable
from tests.factories import PASSWORD, AddressFactory, StoreFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + reverse("account_login"))
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_cpn4_cpn5_get_coupon_and_switch_at_checkout(page: Page, live_server):
    now = timezone.now()
    period = {"now": now, "starts_at": now - dt.timedelta(days=1), "ends_at": now + dt.timedelta(days=30)}
    store = StoreFactory(name="Nyiaj Silver Studio", currency="USD")
    product = sellable(store, price=10_000).product
    make_promotion(store, kind=Kind.STORE_INSTANT, title="Instant five", percent_bp=500, **period)
    coupon = make_promotion(store, kind=Kind.STORE_COUPON, title="Silver ten", percent_bp=None,
                            amount_minor=1000, **period)
    buyer = UserFactory(email="mai@example.com")
    AddressFactory(user=buyer)
    base = live_server.url
    sign_in(page, base, buyer.email)

    # CPN-4: the box fills in after the (cached) page loads; "Get coupon" swaps the card in place.
    page.goto(base + product.get_absolute_url())
    box = page.locator("#store-offers")
    expect(box.get_by_text("Instant five")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    box.get_by_role("button", name=re.compile("Get coupon")).click()
    expect(box.get_by_role("status")).to_contain_text("In My Coupons")
    assert page.evaluate("window.__sameDocument === true"), "collecting reloaded the page"
    assert CollectedCoupon.objects.filter(user=buyer, promotion=coupon).exists()

    # CPN-5: at checkout the best combination is preselected; switching re-computes the total.
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-add-result")).not_to_be_empty()
    page.goto(base + reverse("checkout:start"))
    total = page.locator(".checkout-total")
    best = page.get_by_label(re.compile("Instant five \\+ Silver ten"))
    expect(best).to_be_checked()
    expect(page.locator(".coupon-savings")).to_contain_text("−$10.00")
    before = total.inner_text()
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("No coupon (instant discounts still apply)").check()
    expect(page.locator(".coupon-savings")).not_to_contain_text("Silver ten")
    expect(total).not_to_have_text(before)
    assert page.evaluate("window.__sameDocument === true"), "switching reloaded the page"

    # CPN-6: a promo code that does not exist says so, next to the box.
    page.get_by_label("Promo code").fill("nope 1")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#promo-code-message")).to_have_text("There is no promo code NOPE1.")
