"""OPS-1: the back office's front door lists every staff screen and what waits there."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_ops1_anonymous_is_sent_to_sign_in(client):
    response = client.get("/backoffice/")
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_ops1_people_who_are_not_staff_do_not_see_it(client):
    client.force_login(UserFactory())
    assert client.get("/backoffice/").status_code == 404


def test_ops1_staff_see_every_screen_with_its_queue_count(client):
    client.force_login(UserFactory(is_staff=True))
    response = client.get("/backoffice/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("backoffice_disputes:queue", "backoffice_appeals:queue", "backoffice_returns:queue",
                 "backoffice_refunds:search", "backoffice_coupons:list", "backoffice_help:list"):
        assert f'href="{reverse(name)}"' in html, name
    assert html.count('data-waiting="0"') == 3  # disputes, appeals, returns: nothing waiting yet


def test_ops1_header_back_office_link_leads_here(client):
    client.force_login(UserFactory(is_staff=True))
    html = client.get("/").content.decode()
    assert 'href="/backoffice/"' in html
