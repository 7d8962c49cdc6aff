"""A buyer in a real browser: sign in, search, filter, open a product, wish for it (htmx),
find it on the wish list. RULE CAT-2 (search and filters), CAT-3 (product page), WSH-1."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, CategoryFactory, ProductFactory, StoreFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop():
    cloths = CategoryFactory(name="Story cloths", slug="story-cloths")
    silver = CategoryFactory(name="Silver jewellery", slug="silver-jewellery")
    store = StoreFactory(name="Paj Ntaub House", ships_from="US")
    wanted = ProductFactory(
        store=store,
        category=cloths,
        title="Indigo river story cloth",
        free_return=True,
        description="A hand-stitched scene of a river crossing.",
        variants=[{"price_minor": 12000, "stock": 4}],
    )
    ProductFactory(
        store=store,
        category=cloths,
        title="Indigo market story cloth",
        free_return=False,
        variants=[{"price_minor": 9000, "stock": 2}],
    )
    ProductFactory(store=store, category=silver, title="Silver neck ring", free_return=True)
    buyer = UserFactory(email="nou@example.com")
    return {"wanted": wanted, "buyer": buyer}


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + reverse("account_login"))
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_search_filter_open_and_wish(page: Page, live_server, shop):
    # RULE CAT-2 RULE WSH-1
    base = live_server.url
    sign_in(page, base, shop["buyer"].email)

    # Search for a word from the header.
    page.get_by_role("search").get_by_label("Search products").fill("indigo")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search/\?q=indigo"))
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Indigo river story cloth")).to_be_visible()
    expect(results.get_by_role("link", name="Indigo market story cloth")).to_be_visible()
    expect(results.get_by_role("link", name="Silver neck ring")).to_have_count(0)

    # Apply a filter: Free Return only (htmx re-renders the results).
    page.get_by_label("Free Return only").check()
    expect(results.get_by_role("link", name="Indigo market story cloth")).to_have_count(0)
    expect(results.get_by_role("link", name="Indigo river story cloth")).to_be_visible()
    expect(page).to_have_url(re.compile(r"free_return=1"))

    # Open the product page.
    results.get_by_role("link", name="Indigo river story cloth").click()
    expect(page).to_have_url(
        base + reverse("catalog:product", kwargs={"slug": shop["wanted"].slug})
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Indigo river story cloth")

    # Add it to the wish list: the htmx toggle swaps the button in place, no page load.
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name=re.compile("Add to wish list")).click()
    expect(page.get_by_role("button", name=re.compile("In wish list"))).to_be_visible()
    assert page.evaluate("window.__sameDocument === true"), "the toggle reloaded the page"

    # The wish list page shows it.
    page.goto(base + reverse("wishlist:list"))
    expect(page.get_by_role("link", name="Indigo river story cloth")).to_be_visible()
