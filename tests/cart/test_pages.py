"""Cart pages (prepares ORD-1) and the header counts of the wish list (RULE WSH-1) and cart."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import RequestFactory
from django.urls import reverse

from cart.models import CartLine
from cart.services import cart_add
from core.context_processors import site
from tests.factories import UserFactory
from tests.wishlist.helpers import make_product, set_price
from wishlist.services import wishlist_add

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/p/scarf/"}


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def variant_of(product):
    return product.variants.order_by("position").first()


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- the cart page -------------------------------------------------------------


def test_cart_page_anonymous_sees_a_sign_in_prompt(client):
    response = client.get(reverse("cart:view"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sign in to see your cart" in html
    assert "/accounts/login/?next=/cart/" in html


def test_cart_page_groups_by_store_and_links_to_checkout(signed_in, user):
    product = make_product(price=2500, title="Indigo skirt")
    other = make_product(price=900, title="Embroidered purse")
    cart_add(user=user, variant=variant_of(product), quantity=2)
    cart_add(user=user, variant=variant_of(other), quantity=1)
    set_price(other, 800)
    response = signed_in.get(reverse("cart:view"))
    html = response.content.decode()
    assert response.status_code == 200
    assert product.store.name in html and other.store.name in html
    assert "Indigo skirt" in html and "$50.00" in html
    assert "Price dropped since you added it (was $9.00)" in html
    # ORD-1: the checkout is open (it replaced the disabled "Checkout" button of the foundation)
    assert '<a class="button" href="/checkout/" aria-describedby="checkout-hint">Checkout</a>' in html
    assert f'<label for="qty-{CartLine.objects.get(variant=variant_of(product)).pk}"' in html


def test_cart_page_never_shows_other_peoples_lines(signed_in):
    cart_add(user=UserFactory(), variant=variant_of(make_product(title="Their rug")), quantity=1)
    html = signed_in.get(reverse("cart:view")).content.decode()
    assert "Their rug" not in html
    assert "Your cart is empty." in html


# --- add -----------------------------------------------------------------------


def test_cart_add_page_post_redirects_back_with_a_message(signed_in, user):
    variant = variant_of(make_product(stock=5))
    response = signed_in.post(
        reverse("cart:add"), {"variant_id": variant.pk, "quantity": "2"}, HTTP_REFERER="/p/x/"
    )
    assert response.status_code == 302 and response["Location"] == "/p/x/"
    assert CartLine.objects.get(user=user).quantity == 2
    # Quantity may be left out: one unit.
    signed_in.post(reverse("cart:add"), {"variant_id": variant.pk})
    assert CartLine.objects.get(user=user).quantity == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose an option to add to the cart."),
        ({"variant_id": "abc"}, "Choose an option to add to the cart."),
        ({"variant_id": "-4"}, "This item does not exist."),
        ({"variant_id": "9" * 30}, "This item does not exist."),
        ({"variant_id": "987654"}, "This item does not exist."),
        ({"variant_id": "VALID", "quantity": "0"}, "Choose a quantity from 1 to 999."),
        ({"variant_id": "VALID", "quantity": "-1"}, "Choose a quantity from 1 to 999."),
        ({"variant_id": "VALID", "quantity": "1000"}, "Choose a quantity from 1 to 999."),
        ({"variant_id": "VALID", "quantity": "two"}, "Enter a whole number."),
        ({"variant_id": "VALID", "quantity": "1.5"}, "Enter a whole number."),
        ({"variant_id": "VALID", "quantity": "9" * 40}, "Choose a quantity from 1 to 999."),
        ({"variant_id": "VALID", "quantity": "6"}, "Only 5 left."),
    ],
)
def test_cart_add_page_bad_values_give_a_message_never_a_500(signed_in, data, message):
    variant = variant_of(make_product(stock=5))
    data = {k: (str(variant.pk) if v == "VALID" else v) for k, v in data.items()}
    response = signed_in.post(reverse("cart:add"), data, follow=True)
    assert response.status_code == 200
    assert message in messages_of(response)
    assert not CartLine.objects.exists()


def test_cart_add_with_htmx_returns_a_status_partial(signed_in, user):
    variant = variant_of(make_product(stock=1))
    response = signed_in.post(reverse("cart:add"), {"variant_id": variant.pk}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'role="status"' in html and "Added to your cart." in html
    assert response["HX-Trigger"] == "cartChanged"
    assert 'hx-swap-oob="innerHTML:#nav-cart">Cart <span class="count">1</span>' in html
    response = signed_in.post(reverse("cart:add"), {"variant_id": variant.pk}, **HTMX)
    assert 'role="alert"' in response.content.decode()
    assert "already have them all" in response.content.decode()


def test_cart_add_anonymous_goes_to_sign_in(client):
    variant = variant_of(make_product())
    response = client.post(reverse("cart:add"), {"variant_id": variant.pk}, HTTP_REFERER="/p/x/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/accounts/login/"
    assert parse_qs(location.query)["next"] == ["/p/x/"]
    response = client.post(reverse("cart:add"), {"variant_id": variant.pk}, **HTMX)
    assert parse_qs(urlsplit(response["HX-Redirect"]).query)["next"] == ["/p/scarf/"]
    assert not CartLine.objects.exists()


def test_cart_add_is_post_only(signed_in):
    assert signed_in.get(reverse("cart:add")).status_code == 405


# --- update and remove ------------------------------------------------------------


def test_cart_update_page(signed_in, user):
    line = cart_add(user=user, variant=variant_of(make_product(stock=5)), quantity=1)
    url = reverse("cart:update", args=[line.pk])
    response = signed_in.post(url, {"quantity": "3"}, follow=True)
    assert "Quantity updated." in messages_of(response)
    assert CartLine.objects.get().quantity == 3
    for bad, message in [
        ("", "Enter a quantity."),
        ("x", "Enter a whole number."),
        ("0", "Choose a quantity from 1 to 999."),
        ("6", "Only 5 left."),
    ]:
        response = signed_in.post(url, {"quantity": bad}, follow=True)
        assert response.status_code == 200
        assert message in messages_of(response)
    assert CartLine.objects.get().quantity == 3


def test_cart_update_and_remove_with_htmx_return_the_cart_partial(signed_in, user):
    line = cart_add(user=user, variant=variant_of(make_product(stock=5)), quantity=1)
    response = signed_in.post(reverse("cart:update", args=[line.pk]), {"quantity": "2"}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="cart"')
    assert "Quantity updated." in html
    assert response["HX-Trigger"] == "cartChanged"
    assert 'hx-swap-oob="innerHTML:#nav-cart">Cart <span class="count">2</span>' in html
    response = signed_in.post(reverse("cart:remove", args=[line.pk]), **HTMX)
    assert "Removed from your cart." in response.content.decode()
    assert "Your cart is empty." in response.content.decode()
    assert not CartLine.objects.exists()


def test_cart_other_peoples_lines_cannot_be_changed_from_pages(signed_in):
    line = cart_add(user=UserFactory(), variant=variant_of(make_product()), quantity=1)
    response = signed_in.post(
        reverse("cart:update", args=[line.pk]), {"quantity": "2"}, follow=True
    )
    assert "This item is not in your cart." in messages_of(response)
    response = signed_in.post(reverse("cart:remove", args=[line.pk]), follow=True)
    assert "This item is not in your cart." in messages_of(response)
    assert CartLine.objects.get().quantity == 1


def test_cart_remove_unknown_or_huge_line_ids(signed_in):
    for line_id in (424242, 10**25):
        response = signed_in.post(reverse("cart:remove", args=[line_id]), follow=True)
        assert response.status_code == 200
        assert "This item is not in your cart." in messages_of(response)


def test_cart_anonymous_update_and_remove_go_to_sign_in(client):
    for name in ("cart:update", "cart:remove"):
        response = client.post(reverse(name, args=[1]), {"quantity": "1"})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


# --- header counts (context processor) -------------------------------------------


def test_wsh1_header_counts_for_a_signed_in_person(django_assert_num_queries, user):
    wishlist_add(user=user, product=make_product())
    wishlist_add(user=user, product=make_product())
    cart_add(user=user, variant=variant_of(make_product(stock=9)), quantity=3)
    cart_add(user=user, variant=variant_of(make_product()), quantity=1)
    cart_add(user=UserFactory(), variant=variant_of(make_product()), quantity=1)
    request = RequestFactory().get("/")
    request.user = user
    with django_assert_num_queries(0):
        context = site(request)  # lazy: nothing is counted until a template shows it
    with django_assert_num_queries(1):
        assert str(context["wish_count"]) == "2"
    with django_assert_num_queries(1):
        assert str(context["cart_count"]) == "4"
    with django_assert_num_queries(0):
        assert bool(context["wish_count"]) and bool(context["cart_count"])


def test_wsh1_header_counts_are_free_for_anonymous_visitors(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        context = site(request)
        assert not context["wish_count"] and not context["cart_count"]


def test_wsh1_anonymous_page_does_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("cart:view"))
    assert response.status_code == 200


def test_wsh1_header_shows_the_counts(signed_in, user):
    wishlist_add(user=user, product=make_product())
    cart_add(user=user, variant=variant_of(make_product(stock=9)), quantity=3)
    html = signed_in.get(reverse("cart:view")).content.decode()
    assert 'Wish list <span class="count">1</span>' in html
    assert 'Cart <span class="count">3</span>' in html
