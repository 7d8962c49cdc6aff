"""A seller in a real browser (RULE CAT-1): open a store, add a shipping method with a
delivery time, add a product, manage variants through htmx rows, upload a picture."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from catalog.models import Product, Store
from tests.factories import PASSWORD, CategoryFactory, UserFactory
from tests.sellercenter.imagefiles import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + reverse("account_login"))
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_cat_1_seller_sets_up_a_product(page: Page, live_server, tmp_path):
    CategoryFactory(name="Story cloths", slug="story-cloths")
    seller = UserFactory(email="seller@example.com")
    base = live_server.url
    sign_in(page, base, seller.email)

    # Open the store.
    page.get_by_role("link", name="Seller center").click()
    page.get_by_label("Store name").fill("Ntxhais Needle")
    page.get_by_label("Ships from (country)").select_option("TH")
    page.get_by_role("button", name="Open my store").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ntxhais Needle")
    assert Store.objects.filter(owner=seller).exists()

    # A shipping method and its rest-of-world delivery time.
    page.get_by_role("navigation", name="Seller center").get_by_role("link",
                                                                     name="Shipping").click()
    page.get_by_label("Name").fill("Registered mail")
    page.get_by_label("Carrier").fill("Thailand Post")
    page.get_by_label("Shipping fee").fill("3.50")
    page.get_by_role("button", name="Add method").click()
    page.get_by_label("Shortest (days)").fill("10")
    page.get_by_label("Longest (days)").fill("25")
    page.get_by_role("button", name="Save delivery time").click()
    expect(page.get_by_role("cell", name="Rest of the world", exact=True)).to_be_visible()

    # A product.
    page.goto(base + reverse("sellercenter:product_new"))
    page.get_by_label("Title").fill("River crossing story cloth")
    page.get_by_label("Category").select_option(label="Story cloths")
    page.get_by_label("Registered mail (Thailand Post)").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("River crossing story cloth")

    # Variants through htmx: no page load, errors shown in the row.
    page.evaluate("window.__sameDocument = true")
    new = page.locator("form.variant-new")
    new.get_by_label("SKU").fill("RC-1")
    new.get_by_label("Options").fill("Colour: Indigo, Size: M")
    new.get_by_label("Price (USD)").fill("24.505")
    new.get_by_label("Stock").fill("3")
    new.get_by_role("button", name="Add variant").click()
    expect(page.locator("#variants")).to_contain_text("at most 2 decimals")
    page.locator("form.variant-new").get_by_label("Price (USD)").fill("24.50")
    page.locator("form.variant-new").get_by_role("button", name="Add variant").click()
    expect(page.locator("#variants")).to_contain_text("Variant RC-1 added.")
    assert page.evaluate("window.__sameDocument === true"), "the variant form reloaded the page"
    product = Product.objects.get(title="River crossing story cloth")
    assert (product.min_price_minor, product.total_stock) == (2450, 3)

    row = page.get_by_role("form", name="Variant RC-1")
    row.get_by_label("Stock").fill("0")
    row.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.locator("#variants")).to_contain_text("Variant RC-1 saved.")
    expect(page.get_by_role("form", name="Variant RC-1")).to_contain_text("Out of stock")

    # A picture.
    picture = tmp_path / "cloth.jpg"
    picture.write_bytes(image_bytes("JPEG", (900, 700)))
    page.get_by_label("Picture files").set_input_files(str(picture))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#images img")).to_have_count(1)
    assert product.images.get().thumbnail.name.endswith("-thumb.webp")
