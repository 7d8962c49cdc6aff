"""Wish list pages and the htmx toggle (RULE WSH-1)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from cart.models import CartLine
from tests.factories import UserFactory
from tests.wishlist.helpers import make_product, make_sized_product, set_price, set_stock
from wishlist.models import WishItem
from wishlist.services import wishlist_add

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/shop/?page=2"}


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_wsh1_list_needs_sign_in(client):
    response = client.get(reverse("wishlist:list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=/wishlist/" in response["Location"]


def test_wsh1_list_shows_price_drop_availability_and_actions(signed_in, user):
    cheap = make_product(price=2500, stock=3, title="Indigo batik skirt")
    gone = make_product(title="Silver torque necklace")
    sized = make_sized_product(title="Paj ntaub jacket")
    for product in (cheap, gone, sized):
        wishlist_add(user=user, product=product)
    set_price(cheap, 2000)
    gone.is_active = False
    gone.save()

    response = signed_in.get(reverse("wishlist:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Indigo batik skirt" in html
    assert cheap.store.name in html
    assert "$20.00" in html
    assert "Price dropped by $5.00" in html and "was $25.00" in html
    assert "Only 3 left" in html
    assert "No longer sold" in html
    # Several options: a labelled variant select, the sold-out size disabled.
    assert f'<label for="variant-{sized.pk}">' in html
    assert f'id="variant-{sized.pk}" name="variant_id"' in html
    sold_out = sized.variants.get(options={"Size": "M"})
    assert f'<option value="{sold_out.pk}" disabled>' in html
    assert reverse("wishlist:remove", args=[cheap.pk]) in html
    assert reverse("wishlist:move_to_cart", args=[cheap.pk]) in html


def test_wsh1_list_never_shows_other_peoples_items(signed_in, user):
    other = UserFactory()
    wishlist_add(user=other, product=make_product(title="Someone else's hat"))
    response = signed_in.get(reverse("wishlist:list"))
    assert "Someone else&#x27;s hat" not in response.content.decode()
    assert "Nothing saved yet" in response.content.decode()


def test_wsh1_list_ignores_a_bad_page_number(signed_in, user):
    wishlist_add(user=user, product=make_product())
    for page in ("abc", "-1", "99999999999999999999"):
        assert signed_in.get(reverse("wishlist:list"), {"page": page}).status_code == 200


# --- toggle --------------------------------------------------------------------


def test_wsh1_toggle_with_htmx_returns_the_partial(signed_in, user):
    product = make_product(title="Story cloth")
    url = reverse("wishlist:toggle", args=[product.pk])
    response = signed_in.post(url, **HTMX)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "wishlist/_toggle.html"
    html = response.content.decode()
    assert "<html" not in html
    assert 'aria-pressed="true"' in html and "In wish list" in html
    assert f'hx-post="{url}"' in html and 'hx-swap="outerHTML"' in html
    assert response["HX-Trigger"] == "wishlistChanged"
    assert (
        'hx-swap-oob="innerHTML:#nav-wish">Wish list <span class="count">1</span>' in html
    )  # header badge updated out of band
    assert WishItem.objects.filter(user=user, product=product).exists()

    response = signed_in.post(url, **HTMX)
    html = response.content.decode()
    assert 'aria-pressed="false"' in html and "Add to wish list" in html
    assert not WishItem.objects.filter(user=user).exists()


def test_wsh1_toggle_without_htmx_redirects_back(signed_in, user):
    product = make_product()
    url = reverse("wishlist:toggle", args=[product.pk])
    response = signed_in.post(url, {"next": "/shop/?q=silver"})
    assert response.status_code == 302 and response["Location"] == "/shop/?q=silver"
    assert WishItem.objects.filter(user=user).count() == 1
    # An address on another site is not followed.
    response = signed_in.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == product.get_absolute_url()


def test_wsh1_toggle_anonymous_goes_to_sign_in(client):
    product = make_product()
    url = reverse("wishlist:toggle", args=[product.pk])
    response = client.post(url, {"next": "/shop/"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/accounts/login/"
    assert parse_qs(location.query)["next"] == ["/shop/"]

    response = client.post(url, **HTMX)
    assert response.status_code == 200
    location = urlsplit(response["HX-Redirect"])
    assert location.path == "/accounts/login/"
    assert parse_qs(location.query)["next"] == ["/shop/?page=2"]
    assert not WishItem.objects.exists()


def test_wsh1_toggle_unknown_product_is_404_and_get_is_405(signed_in):
    assert signed_in.post(reverse("wishlist:toggle", args=[999999])).status_code == 404
    product = make_product()
    assert signed_in.get(reverse("wishlist:toggle", args=[product.pk])).status_code == 405


def test_wsh1_toggle_refuses_a_product_no_longer_sold(signed_in):
    product = make_product(is_active=False)
    response = signed_in.post(reverse("wishlist:toggle", args=[product.pk]), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-pressed="false"' in html
    assert "no longer sold" in html
    assert not WishItem.objects.exists()


def test_wsh1_toggle_partial_can_be_included_by_product_cards(rf, user):
    from django.template.loader import render_to_string

    product = make_product(title="Hmong hat")
    request = rf.get("/")
    request.user = user
    html = render_to_string(
        "wishlist/_toggle.html", {"product": product, "wished": True}, request=request
    )
    assert 'aria-pressed="true"' in html and "csrfmiddlewaretoken" in html
    assert "Hmong hat" in html  # named for screen readers


# --- remove and move to cart -----------------------------------------------------


def test_wsh1_remove_page_post(signed_in, user):
    product = make_product()
    wishlist_add(user=user, product=product)
    response = signed_in.post(reverse("wishlist:remove", args=[product.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("wishlist:list")
    assert "was removed from your wish list" in response.content.decode()
    assert not WishItem.objects.exists()
    # Again: a clear message, not an error page.
    response = signed_in.post(reverse("wishlist:remove", args=[product.pk]), follow=True)
    assert "not on your wish list" in response.content.decode()


def test_wsh1_remove_with_htmx_returns_the_list_partial(signed_in, user):
    product, kept = make_product(), make_product(title="Kept item")
    wishlist_add(user=user, product=product)
    wishlist_add(user=user, product=kept)
    response = signed_in.post(reverse("wishlist:remove", args=[product.pk]), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="wishlist"')
    assert "Kept item" in html and "was removed" in html
    assert "wishlistChanged" in response["HX-Trigger"]
    assert 'hx-swap-oob="innerHTML:#nav-wish">Wish list <span class="count">1</span>' in html


def test_wsh1_other_people_cannot_remove_or_move_my_items(client, user):
    product = make_product()
    wishlist_add(user=user, product=product)
    client.force_login(UserFactory())
    client.post(reverse("wishlist:remove", args=[product.pk]))
    client.post(reverse("wishlist:move_to_cart", args=[product.pk]))
    assert WishItem.objects.filter(user=user).count() == 1
    assert not CartLine.objects.exists()


def test_wsh1_move_to_cart_page_single_variant(signed_in, user):
    product = make_product()
    wishlist_add(user=user, product=product)
    response = signed_in.post(reverse("wishlist:move_to_cart", args=[product.pk]), follow=True)
    assert "was moved to your cart" in response.content.decode()
    assert CartLine.objects.get(user=user).variant == product.variants.get()
    assert not WishItem.objects.exists()


def test_wsh1_move_to_cart_page_with_a_chosen_variant_over_htmx(signed_in, user):
    product = make_sized_product()
    wishlist_add(user=user, product=product)
    large = product.variants.get(options={"Size": "L"})
    response = signed_in.post(
        reverse("wishlist:move_to_cart", args=[product.pk]), {"variant_id": str(large.pk)}, **HTMX
    )
    assert response.status_code == 200
    assert "was moved to your cart" in response.content.decode()
    assert "cartChanged" in response["HX-Trigger"]
    assert (
        'hx-swap-oob="innerHTML:#nav-cart">Cart <span class="count">1</span>'
        in response.content.decode()
    )
    assert CartLine.objects.get(user=user).variant == large


@pytest.mark.parametrize(
    ("variant_id", "message"),
    [
        ("", "Choose an option"),
        ("abc", "Choose one of the listed options."),
        ("-3", "Choose one of the listed options."),
        ("99999999", "Choose one of the listed options."),
        ("9" * 40, "Choose one of the listed options."),
    ],
)
def test_wsh1_move_to_cart_page_bad_variant_gives_a_message(signed_in, user, variant_id, message):
    product = make_sized_product()
    wishlist_add(user=user, product=product)
    response = signed_in.post(
        reverse("wishlist:move_to_cart", args=[product.pk]), {"variant_id": variant_id}, follow=True
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert WishItem.objects.filter(user=user).count() == 1
    assert not CartLine.objects.exists()


def test_wsh1_move_to_cart_page_out_of_stock(signed_in, user):
    product = make_product()
    wishlist_add(user=user, product=product)
    set_stock(product, 0)
    page = signed_in.get(reverse("wishlist:list")).content.decode()
    assert "Out of stock for now." in page  # the button is disabled with the reason
    response = signed_in.post(reverse("wishlist:move_to_cart", args=[product.pk]), follow=True)
    assert "out of stock" in response.content.decode()
    assert not CartLine.objects.exists()


def test_wsh1_anonymous_post_actions_go_to_sign_in(client):
    product = make_product()
    for name in ("wishlist:remove", "wishlist:move_to_cart"):
        response = client.post(reverse(name, args=[product.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
