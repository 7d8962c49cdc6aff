"""A dispute end to end in two browser contexts — RULES DSP-1, DSP-2, DSP-4: the buyer opens a
dispute from the order page with an evidence photo; the seller refuses with a counter-proposal;
the buyer accepts it; the refund shows on the order page."""

import datetime as dt
import time

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from core import clock
from disputes.models import Dispute
from tests.disputes.factories import png_bytes, received_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in_page(browser, live_server, user) -> Page:
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }])
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm
    return page


def test_dsp1_dsp2_dsp4_open_refuse_with_counter_accept_refund_shows(browser, live_server):
    started = time.monotonic()
    order = received_order(now=clock.now() - dt.timedelta(days=9), price=4000)  # protection running
    buyer_page = signed_in_page(browser, live_server, order.buyer)
    seller_page = signed_in_page(browser, live_server, order.store.owner)

    buyer_page.goto(f"/orders/{order.number}/")
    buyer_page.locator("#open-dispute-link").click()
    form = buyer_page.locator("#dispute-open-form")
    form.get_by_label("What is wrong?").select_option("not_as_described")
    form.get_by_label("Refund only").check()
    form.get_by_label("Describe the problem").fill("The colour is not the one in the pictures.")
    form.get_by_label("Evidence files").set_input_files(
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    form.get_by_role("button", name="Open the dispute").click()
    expect(buyer_page.locator("#dispute-panel")).to_contain_text("photo.png")
    dispute = Dispute.objects.get(order=order)
    assert dispute.evidence.count() == 1

    seller_page.goto(f"/seller/disputes/{dispute.pk}/")
    refuse = seller_page.locator("#action-refuse")
    refuse.get_by_label("Refund only").check()
    refuse.get_by_label("Refund you offer").fill("12.00")
    refuse.get_by_label("Why you disagree").fill("The colour is as pictured; I offer part of it back.")
    refuse.get_by_role("button", name="Refuse").click()
    expect(seller_page.locator("#dispute-panel")).not_to_contain_text("Refuse with a counter-proposal")

    buyer_page.goto(f"/disputes/{dispute.pk}/")
    buyer_page.locator("#action-accept-counter").get_by_role("button").click()
    expect(buyer_page.locator("#dispute-panel")).to_contain_text("You accepted")
    buyer_page.goto(f"/orders/{order.number}/")
    expect(buyer_page.locator("#refunds-title")).to_be_visible()
    expect(buyer_page.locator("section[aria-labelledby=refunds-title]")).to_contain_text("12.00")
    dispute.refresh_from_db()
    assert dispute.state == "refunded" and dispute.refunded_minor == 1200
    assert time.monotonic() - started < 20
