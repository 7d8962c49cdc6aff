"""A visitor switches the site to Russian with the header's language switcher (issue 7: languages)."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_site_switched_to_russian(page: Page, live_server):
    ProductFactory(title="Paj ntaub pillow", variants=[{"price_minor": 2500, "stock": 3}])
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Change language").click()

    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("link", name="Войти")).to_be_visible()
    expect(page.get_by_role("link", name="Корзина")).to_be_visible()
    expect(page.get_by_label("Язык")).to_have_value("ru")

    # The choice holds on the next page: the product page is in Russian too.
    page.get_by_role("link", name="Paj ntaub pillow").first.click()
    expect(page.get_by_role("button", name="Добавить в корзину")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
