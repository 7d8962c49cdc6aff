"""Whole catalog pages cached for signed-out visitors — RULE CAT-2, CAT-3.

A signed-out visitor with no pending messages gets the product, search, category,
store, home and stores pages as one cached HTML (catalog.views._page), keyed by the
catalog version, the path and filters, country, display currency and locale. Only
the CSRF token, the header's search words and the footer's "next" path are put in
per request. These tests pin down that the cache is never stale after a catalog
change, never carries one visitor's data to another, and that signed-in people
always get their own header.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from catalog import views
from catalog.models import Variant
from catalog.services import catalog_changed, product_refresh_summary, product_set_active
from core.middleware import COUNTRY_COOKIE, CURRENCY_COOKIE
from tests.factories import CategoryFactory, ProductFactory, UserFactory
from wishlist.models import WishItem

pytestmark = pytest.mark.django_db

TOKEN_IN_FORM = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_IN_HEADERS = re.compile(r'"X-CSRFToken": "([^"]+)"')


@pytest.fixture
def pottery():
    return CategoryFactory(name="Pottery", slug="pottery")


@pytest.fixture
def bowl(pottery):
    return ProductFactory(title="Silver bowl", category=pottery, free_return=True,
                          variants=[{"price_minor": 2500, "stock": 4}])


def product_url(product):
    return reverse("catalog:product", args=[product.slug])


def search_url(category):
    return reverse("catalog:search") + f"?q=silver&category={category.slug}&free_return=on"


def catalog_urls(product):
    return [product_url(product), search_url(product.category),
            reverse("catalog:category", args=[product.category.slug]), reverse("catalog:home")]


def html(client, url, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return response.content.decode()


def change_variant(product, **values):
    Variant.objects.filter(product=product).update(**values)
    product_refresh_summary(product=product)


@pytest.fixture
def no_rendering(monkeypatch):
    """Fails a request that renders the page template, i.e. one not served whole from the cache."""
    def forbid():
        def render_to_string(*args, **kwargs):
            raise AssertionError("the whole page was rendered, not taken from the cache")

        def render(*args, **kwargs):
            raise AssertionError("base.html was rendered for an anonymous visitor")

        monkeypatch.setattr(views, "render_to_string", render_to_string)
        monkeypatch.setattr(views, "render", render)
    return forbid


# --- served whole from the cache ---------------------------------------------------------

def test_the_second_anonymous_request_is_served_whole_in_one_query(
        client, bowl, no_rendering, django_assert_max_num_queries):
    urls = catalog_urls(bowl) + [reverse("catalog:store", args=[bowl.store.slug]),
                                 reverse("catalog:stores")]
    first = {url: html(client, url) for url in urls}
    no_rendering()
    for url in urls:
        with django_assert_max_num_queries(1):  # the catalog version only
            again = html(client, url)
        # the same page, apart from the visitor's freshly masked CSRF token
        assert _without_tokens(again) == _without_tokens(first[url]), url


def _without_tokens(page: str) -> str:
    return TOKEN_IN_HEADERS.sub("", TOKEN_IN_FORM.sub("", page))


def test_a_cold_anonymous_product_page_needs_few_queries(client, bowl, django_assert_max_num_queries):
    # version, product, variants, images, methods, estimates
    with django_assert_max_num_queries(6):
        html(client, product_url(bowl))
    with django_assert_max_num_queries(1):
        html(client, product_url(bowl))


def test_the_whole_page_is_what_base_html_renders_per_request(client, bowl, monkeypatch):
    """The cached whole page equals the page rendered per request for the same visitor."""
    monkeypatch.setattr(views, "get_token", lambda request: "TOKEN")
    urls = catalog_urls(bowl) + [reverse("catalog:stores"), product_url(bowl) + '?q=a"<b>&x=1']
    client.cookies[COUNTRY_COOKIE] = "FR"
    client.cookies[CURRENCY_COOKIE] = "EUR"
    cached = {url: html(client, url) for url in urls}
    cached_again = {url: html(client, url) for url in urls}
    monkeypatch.setattr(views, "_whole_page_allowed", lambda request: False)
    for url in urls:
        assert cached[url] == cached_again[url] == html(client, url), url


# --- a catalog change shows on the very next request -----------------------------------------

def test_cat_3_a_price_change_shows_at_once(client, bowl):
    for url in catalog_urls(bowl):
        assert "$25.00" in html(client, url)
        assert "$25.00" in html(client, url)  # now from the whole-page cache

    change_variant(bowl, price_minor=1999)

    for url in catalog_urls(bowl):
        page = html(client, url)
        assert "$19.99" in page and "$25.00" not in page, url


def test_cat_2_a_stock_change_shows_at_once(client, bowl):
    for url in catalog_urls(bowl):
        html(client, url)
        assert "Out of stock" not in html(client, url)

    change_variant(bowl, stock=0)

    for url in catalog_urls(bowl):
        assert "Out of stock" in html(client, url), url


def test_a_deactivated_product_disappears_at_once(client, bowl):
    other = ProductFactory(title="Silver spoon", category=bowl.category, free_return=True)
    search = search_url(bowl.category)
    for _ in range(2):
        assert "Silver bowl" in html(client, search) and "Silver spoon" in html(client, search)
        html(client, product_url(bowl))

    product_set_active(product=bowl, active=False)

    assert client.get(product_url(bowl)).status_code == 404
    page = html(client, search)
    assert "Silver bowl" not in page and "Silver spoon" in page
    assert "Silver bowl" not in html(client, reverse("catalog:home"))
    assert "Silver spoon" in html(client, product_url(other))


def test_a_new_product_appears_at_once(client, bowl):
    search = search_url(bowl.category)
    for _ in range(2):
        assert "Silver cup" not in html(client, search)
        assert "Silver cup" not in html(client, reverse("catalog:home"))

    cup = ProductFactory(title="Silver cup", category=bowl.category, free_return=True)

    assert "Silver cup" in html(client, search)
    assert "Silver cup" in html(client, reverse("catalog:home"))
    assert "Silver cup" in html(client, product_url(cup))


def test_only_the_version_bump_refreshes_the_whole_page(client, bowl):
    """A write that skips the catalog services is not seen; catalog_changed is what counts."""
    for _ in range(2):
        html(client, product_url(bowl))
    Variant.objects.filter(product=bowl).update(price_minor=1111)
    assert "$11.11" not in html(client, product_url(bowl))
    catalog_changed()
    assert "$11.11" in html(client, product_url(bowl))


# --- the CSRF token is the requester's own ------------------------------------------------------

def test_each_visitor_posts_with_their_own_token(bowl):
    url = product_url(bowl)
    warm = Client(enforce_csrf_checks=True)
    html(warm, url)  # fills the whole-page cache
    mai, tou = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)

    mai_page, tou_page = html(mai, url), html(tou, url)
    mai_token, tou_token = TOKEN_IN_FORM.search(mai_page)[1], TOKEN_IN_FORM.search(tou_page)[1]
    assert views.CSRF_SENTINEL not in mai_page + tou_page
    assert set(TOKEN_IN_FORM.findall(mai_page)) == {mai_token}  # one token, in every form
    assert TOKEN_IN_HEADERS.search(mai_page)[1] == mai_token
    assert mai.cookies["csrftoken"].value != tou.cookies["csrftoken"].value

    set_visitor = reverse("catalog:set_visitor")
    # somebody else's token is refused, one's own accepted
    assert mai.post(set_visitor, {"country": "FR", "csrfmiddlewaretoken": tou_token}).status_code == 403
    assert tou.post(set_visitor, {"country": "DE", "csrfmiddlewaretoken": mai_token}).status_code == 403
    assert mai.post(set_visitor, {"country": "FR", "next": url,
                                  "csrfmiddlewaretoken": mai_token}).status_code == 302
    assert tou.post(set_visitor, {"country": "DE", "next": url,
                                  "csrfmiddlewaretoken": tou_token}).status_code == 302


def test_a_cookieless_visitor_gets_a_csrf_cookie_with_the_cached_page(bowl):
    url = product_url(bowl)
    html(Client(), url)
    response = Client().get(url)
    token = TOKEN_IN_FORM.search(response.content.decode())[1]
    assert "csrftoken" in response.cookies
    assert len(token) == 64 and token != response.cookies["csrftoken"].value  # masked
    vary = {v.strip() for v in response["Vary"].split(",")}
    assert {"Cookie", "Accept-Language"} <= vary
    search = Client().get(search_url(bowl.category))
    assert {"Cookie", "Accept-Language", "HX-Request"} <= {v.strip() for v in search["Vary"].split(",")}
    # The page holds this visitor's CSRF token: shared caches (proxies, CDNs) must not keep it.
    assert "private" in response["Cache-Control"] and "private" in search["Cache-Control"]


# --- nothing of one visitor in another's page ----------------------------------------------------

def test_two_anonymous_visitors_see_only_their_own_search_words_and_path(bowl):
    url = product_url(bowl)
    html(Client(), url)
    first = html(Client(), url + "?q=alpha&ref=one")
    second = html(Client(), url + '?q=be"ta<&ref=two')
    assert 'id="header-q" type="search" name="q" value="alpha"' in first
    assert 'name="next" value="/p/silver-bowl/?q=alpha&amp;ref=one"' in first
    assert 'value="be&quot;ta&lt;"' in second and 'ref=two' in second
    assert "alpha" not in second and "ref=one" not in second
    assert "be&quot;ta" not in first and "ref=two" not in first
    for page in (first, second):
        assert views.QUERY_SENTINEL not in page and views.NEXT_SENTINEL not in page


def test_country_and_currency_change_the_page(client):
    jar = ProductFactory(title="Indigo jar", domestic_delivery=True, warehouse_country="FR",
                         variants=[{"price_minor": 2500}])
    url = product_url(jar)
    for _ in range(2):
        us = html(client, url)
    assert "$25.00" in us and "no customs duties" not in us
    assert '<option value="US" selected>' in us

    fr = Client()
    fr.cookies[COUNTRY_COOKIE] = "FR"
    fr.cookies[CURRENCY_COOKIE] = "EUR"
    for _ in range(2):
        page = html(fr, url)
    assert "no customs duties" in page and "≈ €23.00" in page
    assert '<option value="FR" selected>' in page and '<option value="EUR" selected>' in page
    assert '<option value="US" selected>' not in page

    english_pages = Client()  # a French browser that chose English pages with the switcher
    english_pages.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    by_language = html(english_pages, url, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "no customs duties" in by_language  # the country from the browser's language
    again = html(client, url)
    assert "no customs duties" not in again and '<option value="US" selected>' in again


def test_a_signed_in_person_never_gets_the_anonymous_page(client, bowl, django_assert_max_num_queries):
    mai = UserFactory(first_name="Mai", last_name="Xiong")
    WishItem.objects.create(user=mai, product=bowl, price_when_added_minor=2500)
    urls = catalog_urls(bowl)
    for url in urls:  # the whole-page cache is warm
        html(Client(), url)
        assert "Sign in" in html(Client(), url)

    client.force_login(mai)
    for url in urls:
        page = html(client, url)
        assert "Mai Xiong" in page and "Sign out" in page and "Sign in" not in page, url
        assert 'aria-pressed="true"' in page, url  # her own wish list
    with django_assert_max_num_queries(6):  # version, session, user, wished, header counts
        html(client, product_url(bowl))


def test_a_signed_in_page_never_reaches_an_anonymous_visitor(client, bowl):
    mai = UserFactory(first_name="Mai", last_name="Xiong")
    WishItem.objects.create(user=mai, product=bowl, price_when_added_minor=2500)
    client.force_login(mai)
    urls = catalog_urls(bowl)
    for url in urls:  # the signed-in pages come first, with the caches cold
        assert "Mai Xiong" in html(client, url)

    for url in urls:
        for visitor in (Client(), Client()):
            page = html(visitor, url)
            assert "Mai Xiong" not in page and "Sign out" not in page and "Sign in" in page, url
            assert 'aria-pressed="true"' not in page and "My orders" not in page, url

    client.logout()
    for url in urls:
        assert "Mai Xiong" not in html(client, url)


def test_pending_messages_skip_the_whole_page_cache(client, bowl):
    url = product_url(bowl)
    for _ in range(2):
        html(client, url)
    client.post(reverse("catalog:set_visitor"), {"country": "ZZ", "next": url})  # an error message

    page = html(client, url)
    assert "We do not recognise that country" in page
    assert "We do not recognise that country" not in html(Client(), url)
    assert "We do not recognise that country" not in html(client, url)  # shown once


def test_htmx_asks_still_get_the_results_block_alone(client, bowl):
    search = search_url(bowl.category)
    html(client, search)
    html(client, search)
    partial = html(client, search, headers={"HX-Request": "true"})
    assert "<html" not in partial and "Silver bowl" in partial
    assert views.CSRF_SENTINEL not in partial and "<!--slot:" not in partial
    restore = html(client, search, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore and "Silver bowl" in restore


def test_get_token_runs_once_per_request(client, bowl, monkeypatch):
    from django.middleware import csrf
    from django.template import context_processors

    calls = []

    def counting(request):
        calls.append(request)
        return csrf.get_token(request)

    monkeypatch.setattr(views, "get_token", counting)
    monkeypatch.setattr(context_processors, "get_token", counting)
    search = search_url(bowl.category)
    for url in (product_url(bowl), search):
        for who in ("anonymous, cold", "anonymous, warm"):
            calls.clear()
            html(client, url)
            assert len(calls) == 1, (url, who)
    calls.clear()
    html(client, search, headers={"HX-Request": "true"})
    assert len(calls) == 1
    client.force_login(UserFactory())
    for url in (product_url(bowl), search):
        calls.clear()
        html(client, url)
        assert len(calls) == 1, url
