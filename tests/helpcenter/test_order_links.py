"""HLP-4: each "why can't I…?" answer on an order page links to the article explaining its rule, and
the answer comes from the same rule code (orders.rules) that enforces it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse

from cart.models import CartLine
from helpcenter.links import article_for_rule
from orders.models import Order
from orders.rules import check_confirm_receipt, check_request_cancellation, check_request_extension
from orders.services import checkout_pay, checkout_place, order_mark_shipped
from payments.providers.simulated import SUCCESS_TOKEN
from tests.factories import (
    AddressFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ShippingMethodFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday


def place_order(buyer) -> Order:
    store = StoreFactory()
    method = ShippingMethodFactory(store=store, carrier="USPS")
    DeliveryEstimateFactory(method=method, country="", min_days=5, max_days=20)
    product = ProductFactory(store=store, processing_days=7, variants=[{"price_minor": 2500, "stock": 5}])
    product.shipping_methods.add(method)
    variant = product.variants.get()
    CartLine.objects.create(user=buyer, variant=variant, quantity=1, price_seen_minor=variant.price_minor)
    address = AddressFactory(user=buyer, is_default=True)
    return checkout_place(buyer=buyer, address=address, idempotency_key="k1", now=T0).orders.get()


def order_page(client, buyer, order, at) -> str:
    with time_machine.travel(at, tick=False):
        client.force_login(buyer)
        response = client.get(reverse("orders:detail", kwargs={"number": order.number}))
    assert response.status_code == 200
    return response.content.decode()


def why_not(page: str) -> str:
    return page.split('class="why-not"')[1].split("</dl>")[0]


def test_hlp4_unpaid_order_reasons_link_to_their_articles(client):
    buyer = UserFactory()
    order = place_order(buyer)
    decision = check_request_cancellation(order, T0)
    assert not decision and decision.rule == "ORD-3"
    section = why_not(order_page(client, buyer, order, T0 + dt.timedelta(minutes=1)))
    assert decision.reason in section  # the page shows the rule code's own words…
    assert f'href="{article_for_rule("ORD-3")}"' in section  # …and links to the article explaining it
    assert 'href="/help/a/cancel-an-order/#unpaid"' in section
    receipt = check_confirm_receipt(order, T0)
    assert f'href="{article_for_rule(receipt.rule)}"' in section  # ORD-7 → buyer protection


def test_hlp4_shipped_order_extension_reason_links_to_the_extension_article(client, help_center):
    buyer = UserFactory()
    order = place_order(buyer)
    checkout_pay(checkout=order.checkout, token=SUCCESS_TOKEN, idempotency_key="pay", now=T0)
    order = order_mark_shipped(order=Order.objects.get(pk=order.pk), seller=order.store.owner, carrier="USPS",
                               tracking_number="9400-1", now=T0 + dt.timedelta(days=1))
    at = T0 + dt.timedelta(days=2)
    decision = check_request_extension(order, at)
    assert not decision and decision.rule == "BP-4" and decision.available_from
    section = why_not(order_page(client, buyer, order, at))
    assert 'href="/help/a/extend-buyer-protection/"' in section
    assert 'href="/help/a/cancel-an-order/#paid-order"' in section  # "already shipped" is ORD-5
    # The linked article exists and explains the rule.
    article = client.get("/help/a/extend-buyer-protection/").content.decode()
    assert "promised delivery time" in article


def test_hlp4_the_tag_is_generic_for_any_rule_id():
    tpl = Template(
        '{% load help_links %}{% help_link rule %}|{% help_link "DSP-2" label="How disputes work" %}'
    )
    out = tpl.render(Context({"rule": "RET-2"}))
    assert out == (
        '<a class="help-link" href="/help/a/free-return/#one-per-order" data-rule="RET-2">Learn why</a>|'
        '<a class="help-link" href="/help/a/dispute-process/#seller-answer" data-rule="DSP-2">'
        'How disputes work</a>'
    )
    assert tpl.render(Context({"rule": ""})).startswith("|")
    assert Template('{% load help_links %}{% help_link "<b>" %}').render(Context()) == ""
