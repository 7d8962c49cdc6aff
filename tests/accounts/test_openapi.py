import pytest

pytestmark = pytest.mark.django_db


def test_the_api_schema_lists_the_accounts_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/auth/register", "/api/v1/auth/token", "/api/v1/me",
                 "/api/v1/addresses", "/api/v1/addresses/{address_id}",
                 "/api/v1/addresses/{address_id}/default"):
        assert path in paths, path
