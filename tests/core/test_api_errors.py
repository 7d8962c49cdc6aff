"""The one API error shape {"code", "message", "fields"} (core.api_errors), the page
shape (core.pagination), the OpenAPI schema and the docs page of the real API.

Most cases use a probe API wired like the real one (tests/core/api_urls.py).
"""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import ProductFactory, UserFactory

probe = pytest.mark.urls("tests.core.api_urls")


def assert_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    return body


def post_json(client, url: str, data) -> object:
    raw = data if isinstance(data, str) else json.dumps(data)
    return client.post(url, data=raw, content_type="application/json")


# --- validation: 422 with a message per field -----------------------------------------------


@probe
def test_missing_fields_each_get_a_message(client):
    body = assert_shape(post_json(client, "/api/probe/items", {}), 422, "validation_error")
    assert body["fields"] == {
        "title": ["This field is required."],
        "price_minor": ["This field is required."],
        "currency": ["This field is required."],
    }


@probe
def test_too_long_negative_and_badly_formed_values(client):
    data = {"title": "x" * 11, "price_minor": -1, "currency": "usd"}
    fields = assert_shape(post_json(client, "/api/probe/items", data), 422, "validation_error")[
        "fields"
    ]
    assert fields["title"] == ["String should have at most 10 characters"]
    assert fields["price_minor"] == ["Input should be greater than or equal to 0"]
    assert list(fields["currency"]) and "pattern" in fields["currency"][0]


@probe
def test_wrong_types(client):
    data = {"title": 5, "price_minor": "abc", "currency": ["USD"]}
    fields = assert_shape(post_json(client, "/api/probe/items", data), 422, "validation_error")[
        "fields"
    ]
    assert set(fields) == {"title", "price_minor", "currency"}
    assert "valid integer" in fields["price_minor"][0]
    assert not any(m.startswith("Value error, ") for ms in fields.values() for m in ms)


@probe
def test_query_and_path_parameters_are_named(client):
    body = assert_shape(client.get("/api/probe/search?page=abc"), 422, "validation_error")
    assert list(body["fields"]) == ["page"]
    body = assert_shape(client.get("/api/probe/search?q=" + "x" * 21), 422, "validation_error")
    assert body["fields"] == {"q": ["String should have at most 20 characters"]}
    body = assert_shape(client.get("/api/probe/products/abc"), 422, "validation_error")
    assert list(body["fields"]) == ["pk"]


@probe
def test_unparseable_body_is_a_400_in_the_shape(client):
    assert_shape(post_json(client, "/api/probe/items", "{not json"), 400, "bad_request")


@probe
def test_django_validation_error_is_a_422_with_fields(client):
    response = client.post("/api/probe/django-validation?kind=dict")
    body = assert_shape(response, 422, "validation_error")
    assert body["fields"] == {"email": ["Enter a valid email address."]}
    body = assert_shape(client.post("/api/probe/django-validation?kind=plain"), 422,
                        "validation_error")
    assert body["fields"] == {"__all__": ["Something is off."]}


# --- domain errors: their own status and code ------------------------------------------------


@probe
@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("plain", 400, "coupon_expired"), ("conflict", 409, "conflict"),
     ("not_allowed", 403, "not_allowed"), ("not_found", 404, "not_found"),
     ("status", 429, "too_many")],
)
def test_domain_error_keeps_status_code_and_fields(client, kind, status, code):
    body = assert_shape(client.get(f"/api/probe/domain?kind={kind}"), status, code)
    if kind == "plain":
        assert body["message"] == "That cannot be done."
        assert body["fields"] == {"code": ["This coupon expired."]}


# --- 401, 403, 404, 405, HttpError, 500 ------------------------------------------------------


@probe
@pytest.mark.django_db
def test_object_not_found_is_a_404_in_the_shape(client):
    assert_shape(client.get("/api/probe/products/999999"), 404, "not_found")
    product = ProductFactory(title="Indigo sash")
    assert client.get(f"/api/probe/products/{product.pk}").json() == {"title": "Indigo sash"}


@probe
@pytest.mark.django_db
def test_unauthenticated_is_a_401_in_the_shape(client):
    assert_shape(client.get("/api/probe/private"), 401, "not_authenticated")
    assert_shape(client.get("/api/probe/private", HTTP_AUTHORIZATION="Bearer nope"), 401,
                 "not_authenticated")
    user = UserFactory(email="mai@example.com")
    client.force_login(user)
    assert client.get("/api/probe/private").json() == {"email": "mai@example.com"}


@probe
def test_permission_denied_is_a_403(client):
    body = assert_shape(client.get("/api/probe/denied"), 403, "not_allowed")
    assert body["message"] == "Staff only."


@probe
@pytest.mark.parametrize(("status", "code"), [(400, "bad_request"), (409, "conflict"),
                                              (429, "rate_limited"), (418, "error")])
def test_http_errors_map_to_codes(client, status, code):
    assert_shape(client.get(f"/api/probe/http/{status}"), status, code)


@probe
def test_unknown_api_path_is_a_json_404(client):
    assert_shape(client.get("/api/probe/no-such-endpoint"), 404, "not_found")
    assert_shape(client.post("/api/no/such/thing/"), 404, "not_found")


def test_unknown_path_of_the_real_api_is_a_json_404(client):
    assert_shape(client.get("/api/v1/no-such-endpoint"), 404, "not_found")


@probe
def test_wrong_method_is_a_json_405_with_allow(client):
    response = client.get("/api/probe/items")
    assert_shape(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


@probe
def test_server_error_under_api_is_json():
    client = Client(raise_request_exception=False)
    assert_shape(client.get("/api/probe/crash"), 500, "server_error")


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/no-such-page-anywhere/here/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


# --- pagination --------------------------------------------------------------------------------


@probe
def test_page_shape(client):
    body = client.get("/api/probe/numbers?page=2&page_size=20").json()
    assert body == {"items": [{"n": i} for i in range(21, 41)], "count": 50, "page": 2,
                    "pages": 3, "page_size": 20}
    body = client.get("/api/probe/numbers").json()
    assert (len(body["items"]), body["page_size"], body["pages"]) == (24, 24, 3)


@probe
def test_page_past_the_end_is_empty(client):
    body = client.get("/api/probe/numbers?page=9").json()
    assert body["items"] == [] and body["count"] == 50 and body["pages"] == 3


@probe
@pytest.mark.parametrize(
    ("query", "field"),
    [("page=0", "page"), ("page=-1", "page"), ("page=x", "page"),
     ("page_size=0", "page_size"), ("page_size=101", "page_size")],
)
def test_bad_page_parameters(client, query, field):
    body = assert_shape(client.get(f"/api/probe/numbers?{query}"), 422, "validation_error")
    assert list(body["fields"]) == [field]


# --- the real API: OpenAPI and docs --------------------------------------------------------------


NINJA_OWN_PAGES = {"api-root", "openapi-json", "openapi-view"}


def django_api_routes() -> set[str]:
    """Every endpoint path Django routes under /api/v1/, written the OpenAPI way."""
    resolver = get_resolver("hmong_artisans.urls")
    found: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern) and entry.name not in NINJA_OWN_PAGES:
                found.add(prefix + route)

    walk(resolver.url_patterns, "/")
    api_routes = {r for r in found if r.startswith("/api/v1/")}
    return {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r) for r in api_routes}


@pytest.mark.django_db
def test_openapi_json_is_valid_and_lists_every_route(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Hmong Artisans API"
    paths = set(schema["paths"])
    assert all(p.startswith("/api/v1/") for p in paths)
    routes = django_api_routes()
    assert routes <= paths
    assert len(routes) == len(paths)
    for operations in schema["paths"].values():
        for operation in operations.values():
            assert operation.get("responses"), operation


@probe
def test_probe_schema_lists_the_probe_routes(client):
    schema = client.get("/api/probe/openapi.json").json()
    expected = {"/api/probe/items", "/api/probe/search", "/api/probe/products/{pk}",
                "/api/probe/numbers"}
    assert expected <= set(schema["paths"])


def test_docs_page_loads_nothing_from_other_hosts(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    external = re.findall(r"""(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)""", html)
    assert external == []
    for asset in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html):
        assert asset.startswith("/static/"), asset
        # The file ships in ninja's static folder, so collectstatic serves it.
        assert finders.find(asset.removeprefix("/static/")), asset
