"""A NUL character anywhere in a request is a clear 400, never a 500 (bad input, every area)."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/search/?q=bag%00", "/api/v1/catalog/products?q=a%00b", "/orders/HA%0012/"])
def test_a_null_character_in_the_address_or_query_is_a_400(client, url):
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 400
    assert "null character" in response.content.decode()


def test_the_api_names_the_field_in_its_error_shape(client):
    response = client.get("/api/v1/catalog/products?q=a%00b")
    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "null_character"
    assert "q" in body["fields"]


def test_ordinary_requests_pass(client):
    assert client.get("/search/?q=bag").status_code == 200
