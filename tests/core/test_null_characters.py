"""A NUL character anywhere in a request is a clear 400, never a 500 (bad input, every area)."""

import json

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


def test_a_null_character_in_a_form_field_or_json_body_is_a_400(client):
    client.force_login(UserFactory())
    assert client.post("/account/addresses/new/", {"first_name": "A\x00"}).status_code == 400
    body = json.dumps({"variant_id": 1, "note": "x\u0000"})
    response = client.post("/api/v1/cart/items", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "null_character"


def test_ordinary_requests_pass(client):
    assert client.get("/search/?q=bag").status_code == 200
