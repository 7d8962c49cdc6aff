"""The notice center and the header's unread count (NTF-1)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from cart.models import CartLine
from core.context_processors import site
from notifications.models import Notice
from notifications.services import notify
from orders.models import Order
from payments.providers.simulated import SUCCESS_TOKEN
from tests.factories import (
    AddressFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)
from tests.tasks import run_pending_tasks

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def person():
    return UserFactory()


def notice(user, n: int, *, url: str = "/orders/HA1/", read: bool = False) -> Notice:
    made = notify(
        user=user,
        kind="test",
        event_key=f"test:{n}",
        subject=f"Subject {n}",
        body=f"Body {n}\nsecond line",
        url=url,
        now=T0 + dt.timedelta(minutes=n),
    )
    if read:
        Notice.objects.filter(pk=made.pk).update(read_at=T0 + dt.timedelta(hours=1))
    return made


def header_badge(html: str) -> str:
    match = re.search(r'<a id="nav-notices" href="/notices/">(.*?)</a>', html, re.S)
    return match.group(1) if match else ""


def test_NTF_1_notice_center_lists_own_notices_newest_first_with_unread_highlighted(client, person):
    first, second = notice(person, 1, read=True), notice(person, 2)
    notice(UserFactory(), 3)
    client.force_login(person)
    response = client.get(reverse("notifications:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Subject 2") < html.index("Subject 1")
    assert "Subject 3" not in html
    assert f'class="panel notice-item unread" id="notice-{second.pk}"' in html
    assert f'class="panel notice-item" id="notice-{first.pk}"' in html
    assert '<span class="badge unread-badge">New</span>' in html  # not by colour alone
    assert "Body 2<br>second line" in html
    assert f'href="{reverse("notifications:open", args=[second.pk])}"' in html
    assert "1 unread notice." in html
    unread_only = client.get(reverse("notifications:list"), {"unread": "1"}).content.decode()
    assert "Subject 2" in unread_only and "Subject 1" not in unread_only


def test_NTF_1_notice_center_is_paginated_and_needs_sign_in(client, person):
    for n in range(25):
        notice(person, n)
    anonymous = client.get(reverse("notifications:list"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(person)
    first = client.get(reverse("notifications:list")).content.decode()
    assert first.count('class="panel notice-item') == 20 and "Subject 24" in first and "Page 1 of 2" in first
    second = client.get(reverse("notifications:list"), {"page": 2}).content.decode()
    assert second.count('class="panel notice-item') == 5 and "Subject 0" in second
    assert client.get(reverse("notifications:list"), {"page": "zzz"}).status_code == 200
    partial = client.get(reverse("notifications:list"), **HTMX).content.decode()
    assert partial.startswith('<div id="notice-list"') and "<html" not in partial


def test_NTF_1_mark_one_read_and_mark_all_read(client, person):
    one, two, three = notice(person, 1), notice(person, 2), notice(person, 3)
    theirs = notice(UserFactory(), 4)
    client.force_login(person)
    response = client.post(reverse("notifications:read", args=[one.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("notifications:list")
    one.refresh_from_db()
    assert one.read_at is not None
    assert client.get(reverse("notifications:read", args=[two.pk])).status_code == 405
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert Notice.objects.get(pk=theirs.pk).read_at is None
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "2 notices marked as read." in response.content.decode()
    assert not Notice.objects.filter(user=person, read_at__isnull=True).exists()
    assert Notice.objects.get(pk=theirs.pk).read_at is None  # only one's own
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "Nothing was unread." in response.content.decode()
    assert three.pk


def test_NTF_1_mark_read_with_htmx_updates_the_list_and_the_header_count(client, person):
    one, _ = notice(person, 1), notice(person, 2)
    client.force_login(person)
    response = client.post(reverse("notifications:read", args=[one.pk]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="notice-list"') and "Marked as read." in html
    assert (
        '<span hx-swap-oob="innerHTML:#nav-notices">Notices <span class="count">'
        '<span class="visually-hidden">unread: </span>1</span></span>' in html
    )
    html = client.post(reverse("notifications:read_all"), **HTMX).content.decode()
    assert '<span hx-swap-oob="innerHTML:#nav-notices">Notices</span>' in html


def test_NTF_1_opening_a_notice_marks_it_read_and_follows_its_link(client, person):
    inside = notice(person, 1, url="/orders/HA123/")
    outside = notice(person, 2, url="https://evil.example/phish")
    theirs = notice(UserFactory(), 3)
    client.force_login(person)
    response = client.get(reverse("notifications:open", args=[inside.pk]))
    assert response.status_code == 302 and response["Location"] == "/orders/HA123/"
    assert Notice.objects.get(pk=inside.pk).read_at is not None
    response = client.get(reverse("notifications:open", args=[outside.pk]))
    assert response["Location"] == reverse("notifications:list")  # never sent off the site
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert client.get("/notices/99999999/").status_code == 404
    assert client.get(f"/notices/{10**25}/").status_code == 404
    assert client.post(f"/notices/{10**25}/read/").status_code == 404


def test_NTF_1_header_shows_the_unread_count(client, person):
    notice(person, 1)
    notice(person, 2)
    notice(person, 3, read=True)
    assert 'id="nav-notices"' not in client.get(reverse("cart:view")).content.decode()  # anonymous
    client.force_login(person)
    html = client.get(reverse("cart:view")).content.decode()
    assert (
        header_badge(html)
        == 'Notices <span class="count"><span class="visually-hidden">unread: </span>2</span>'
    )
    Notice.objects.filter(user=person).update(read_at=T0)
    assert header_badge(client.get(reverse("cart:view")).content.decode()) == "Notices"
    assert '<a href="/orders/">My orders</a>' in html


def test_NTF_1_header_count_is_lazy_and_shares_one_query_with_the_wish_count(
    person, django_assert_num_queries
):
    notice(person, 1)
    notice(person, 2)
    request = RequestFactory().get("/")
    request.user = person
    with django_assert_num_queries(0):
        context = site(request)
    with django_assert_num_queries(1):
        assert str(context["notice_count"]) == "2"
        assert str(context["wish_count"]) == "0"
    anonymous = RequestFactory().get("/")
    anonymous.user = AnonymousUser()
    with django_assert_num_queries(0):
        context = site(anonymous)
        assert not context["notice_count"] and not context["wish_count"]


def test_NTF_1_paying_tells_the_buyer_and_the_seller_in_their_notice_centers_once(client, person):
    store = StoreFactory()
    method = ShippingMethodFactory(store=store)
    DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=20)
    product = ProductFactory(store=store, variants=[{"price_minor": 2500, "stock": 5}])
    variant = product.variants.get()
    CartLine.objects.create(user=person, variant=variant, quantity=1, price_seen_minor=2500)
    address = AddressFactory(user=person, is_default=True)
    client.force_login(person)
    client.post(reverse("checkout:start"), {"address": address.pk, "idempotency_key": "k"})
    order = Order.objects.get()
    pay = {"token": SUCCESS_TOKEN, "idempotency_key": "p"}
    client.post(reverse("checkout:pay", args=[order.checkout_id]), pay)
    client.post(reverse("checkout:pay", args=[order.checkout_id]), pay)  # a double submit
    html = client.get(reverse("notifications:list")).content.decode()
    assert f"Payment received for order {order.number}" in html
    assert header_badge(html).endswith(">1</span>")
    run_pending_tasks()
    assert [m.to for m in mail.outbox].count([person.email]) == 1
    client.force_login(store.owner)
    seller_html = client.get(reverse("notifications:list")).content.decode()
    assert f"New order {order.number}" in seller_html
