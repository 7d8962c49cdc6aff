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


def test_a_null_character_in_a_json_body_is_a_422_on_its_field(client):
    """Bad input: a NUL inside a JSON string (PostgreSQL cannot store it) is a field error of the
    body — 422 with the field's path — before any view runs, in every area of the API."""
    import json

    client.force_login(UserFactory())
    body = json.dumps({"description": "Broken\x00", "lines": [{"note": "ok"}]})
    assert "\\u0000" in body
    response = client.post("/api/v1/orders/HA-1/dispute", data=body, content_type="application/json")
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["description"]
    assert "null character" in response.json()["message"]
    nested = json.dumps({"lines": [{"note": "a\x00"}]})
    response = client.post("/api/v1/orders/HA-1/dispute", data=nested, content_type="application/json")
    assert response.status_code == 422 and list(response.json()["fields"]) == ["lines.0.note"]
