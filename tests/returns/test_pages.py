"""Free Return pages: the order page's block (RET-1, RET-2, HLP-4), the return page (RET-3),
the seller center's list (RET-3) and the back-office inspection (RET-4, OPS-1)."""

import pytest
import time_machine
from django.test import Client

from core.models import AuditLog
from payments.models import Refund
from returns import services
from returns.models import ReturnRequest
from returns.states import ReturnState
from tests.factories import StoreFactory, UserFactory
from tests.returns.factories import DAY, RECEIVED_AT, SHIPPED_AT, ReturnShop

pytestmark = pytest.mark.django_db
AT = RECEIVED_AT + DAY


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def get(user, url, at=AT, **headers):
    with time_machine.travel(at, tick=False):
        return client_for(user).get(url, **headers)


def post(user, url, data, at=AT, **headers):
    with time_machine.travel(at, tick=False):
        return client_for(user).post(url, data, **headers)


def started(shop, order, units=1):
    return services.return_request_create(
        order=order, buyer=shop.buyer, lines={shop.line(order).pk: units}, now=AT
    )


def test_ret1_order_page_offers_the_free_return(shop):
    order = shop.order()
    page = get(shop.buyer, f"/orders/{order.number}/").content.decode()
    assert 'id="free-return"' in page and "Get a free return code" in page
    assert f'name="qty_{shop.line(order).pk}"' in page and "No exchanges" in page


def test_hlp4_order_page_says_why_not_and_from_when(shop):
    order = shop.order(receive=False)
    page = get(shop.buyer, f"/orders/{order.number}/", at=SHIPPED_AT + DAY).content.decode()
    assert 'id="why-free-return"' in page and "confirm receipt" in page
    assert 'class="help-link" href="/help/a/' in page  # HLP-4: the article explaining the rule
    assert "Possible from" in page and order.promised_delivery_at.isoformat() in page
    assert "Get a free return code" not in page


def test_ret1_order_without_free_return_items_shows_no_block(shop):
    order = shop.order((shop.plain, 1))
    assert 'id="free-return"' not in get(shop.buyer, f"/orders/{order.number}/").content.decode()


def test_ret3_start_from_the_order_page_then_the_return_page(shop):
    order = shop.order()
    response = post(shop.buyer, f"/returns/start/{order.number}/", {f"qty_{shop.line(order).pk}": "2"})
    ret = ReturnRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/returns/{ret.pk}/"
    page = get(shop.buyer, f"/returns/{ret.pk}/").content.decode()
    assert ret.return_code in page and "ParcelPoint" in page and "Drop the parcel off by" in page
    assert (
        "Free: this is the order&#x27;s free return." in page
        or "Free: this is the order's free return." in page
    )
    assert "nothing to confirm" in page.lower()
    assert [line.quantity for line in ret.lines.all()] == [2]


def test_ret3_start_with_htmx_redirects_the_browser(shop):
    order = shop.order()
    response = post(
        shop.buyer,
        f"/returns/start/{order.number}/",
        {f"qty_{shop.line(order).pk}": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/returns/")


def test_ret2_second_return_shows_the_cost_and_needs_the_box_ticked(shop):
    order = shop.order()
    started(shop, order)
    page = get(shop.buyer, f"/orders/{order.number}/").content.decode()
    assert "This return is at your cost." in page and 'name="accept_paid_shipping"' in page
    refused = post(shop.buyer, f"/returns/start/{order.number}/", {f"qty_{shop.line(order).pk}": "1"})
    assert refused.status_code == 422
    assert "already used its free return" in refused.content.decode()
    assert ReturnRequest.objects.count() == 1
    ok = post(
        shop.buyer,
        f"/returns/start/{order.number}/",
        {f"qty_{shop.line(order).pk}": "1", "accept_paid_shipping": "1"},
    )
    assert ok.status_code == 302
    paid = ReturnRequest.objects.latest("pk")
    assert not paid.is_free
    assert "Paid by the buyer" in get(shop.buyer, f"/returns/{paid.pk}/").content.decode()


@pytest.mark.parametrize(
    "value, message", [("abc", "whole number"), ("0", "at least one unit"), ("9", "At most 3")]
)
def test_bad_form_input_shows_field_errors(shop, value, message):
    order = shop.order()
    line = shop.line(order)
    response = post(shop.buyer, f"/returns/start/{order.number}/", {f"qty_{line.pk}": value})
    assert response.status_code == 422 and message in response.content.decode()
    htmx = post(
        shop.buyer, f"/returns/start/{order.number}/", {f"qty_{line.pk}": value}, HTTP_HX_REQUEST="true"
    )
    assert (
        htmx.status_code == 200
        and message in htmx.content.decode()
        and 'class="errorlist"' in htmx.content.decode()
    )
    assert not ReturnRequest.objects.exists()


def test_return_page_permissions(shop):
    order = shop.order()
    ret = started(shop, order)
    assert get(shop.buyer, f"/returns/{ret.pk}/").status_code == 200
    for other in (ReturnShop().buyer, shop.seller, UserFactory(is_staff=True)):
        assert get(other, f"/returns/{ret.pk}/").status_code == 404
    anonymous = get(None, f"/returns/{ret.pk}/")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert post(ReturnShop().buyer, f"/returns/start/{order.number}/", {"qty_1": "1"}).status_code == 404


def test_cancel_from_the_return_page(shop):
    ret = started(shop, shop.order())
    page = get(shop.buyer, f"/returns/{ret.pk}/").content.decode()
    assert "Cancel this return" in page
    response = post(shop.buyer, f"/returns/{ret.pk}/cancel/", {})
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.state == ReturnState.CANCELLED
    again = post(shop.buyer, f"/returns/{ret.pk}/cancel/", {})
    assert again.status_code == 403 and "already finished" in again.content.decode()


def test_ret3_seller_center_lists_the_stores_returns(shop):
    order = shop.order()
    ret = started(shop, order)
    page = get(shop.seller, "/seller/returns/").content.decode()
    assert ret.return_code in page and order.number in page and 'href="/seller/returns/"' in page
    detail = get(shop.seller, f"/seller/returns/{ret.pk}/")
    assert detail.status_code == 200 and ret.return_code in detail.content.decode()
    other = StoreFactory().owner
    assert ret.return_code not in get(other, "/seller/returns/").content.decode()
    assert get(other, f"/seller/returns/{ret.pk}/").status_code == 404
    assert get(shop.buyer, f"/seller/returns/{ret.pk}/").status_code == 404  # no store
    assert get(shop.seller, "/seller/returns/?state=bogus").status_code == 200
    order_page = get(shop.seller, f"/seller/orders/{order.number}/").content.decode()
    assert f'href="/seller/returns/{ret.pk}/"' in order_page


def test_ret4_back_office_inspection_is_staff_only_and_audited(shop):
    staff = UserFactory(is_staff=True)
    order = shop.order()
    ret = started(shop, order, units=3)
    services.return_provider_update(
        provider=ret.provider,
        event_id="d1",
        return_code=ret.return_code,
        status="dropped_off",
        occurred_at=AT,
        now=AT,
    )
    for person in (None, shop.buyer, shop.seller):
        assert get(person, "/backoffice/returns/").status_code == 404
        assert post(person, f"/backoffice/returns/{ret.pk}/inspect/", {}).status_code == 404
    queue = get(staff, "/backoffice/returns/").content.decode()
    assert ret.return_code in queue
    line = ret.lines.get()
    form = get(staff, f"/backoffice/returns/{ret.pk}/").content.decode()
    assert f'name="good_{line.pk}"' in form
    bad = post(staff, f"/backoffice/returns/{ret.pk}/inspect/", {f"good_{line.pk}": "x"})
    assert bad.status_code == 422 and "whole number" in bad.content.decode()
    too_many = post(staff, f"/backoffice/returns/{ret.pk}/inspect/", {f"good_{line.pk}": "4"})
    assert too_many.status_code == 422 and "At most 3" in too_many.content.decode()
    assert not Refund.objects.exists() and not AuditLog.objects.filter(action="return.inspect").exists()
    done = post(staff, f"/backoffice/returns/{ret.pk}/inspect/", {f"good_{line.pk}": "2", "note": "One torn"})
    assert done.status_code == 302
    ret.refresh_from_db()
    assert ret.state == ReturnState.INSPECTED and ret.refund_minor == 5000 and ret.inspected_by == staff
    assert AuditLog.objects.get(action="return.inspect").actor == staff
    page = get(shop.buyer, f"/returns/{ret.pk}/").content.decode()
    assert "$50.00" in page
