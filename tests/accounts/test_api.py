"""Accounts API: registration, tokens, profile and address book, one error shape (ACC-1, ACC-7)."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client

from accounts.models import Address, ApiToken, User
from core.policy import policy
from tests.factories import PASSWORD, AddressFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
STRONG = "Paj ntaub 2024 story"
ADDRESS = {
    "first_name": "Mai",
    "last_name": "Vang",
    "line1": "1 University Ave W",
    "city": "Saint Paul",
    "region": "MN",
    "postal_code": "55103",
    "country": "US",
    "phone": "+1 651 555 0100",
}


def _send(client, method: str, path: str, body=None, token: str | None = None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = json.dumps(body) if body is not None else None
    call = getattr(client, method)
    if data is None:
        return call(API + path, **headers, **extra)
    return call(API + path, data=data, content_type="application/json", **headers, **extra)


def _assert_error(response, status: int, code: str | None = None, field: str | None = None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["message"]
    if code:
        assert body["code"] == code
    if field:
        assert field in body["fields"], body
        assert body["fields"][field] and all(body["fields"][field])
    return body


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5_api"
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher",
                                 "django.contrib.auth.hashers.MD5PasswordHasher"]
    CountingHasher.calls = 0
    return CountingHasher


@pytest.fixture
def user():
    return UserFactory(email="mai@example.com")


@pytest.fixture
def token(user):
    return ApiToken.issue(user)[1]


# --- registration (ACC-1) ---------------------------------------------------------


def test_acc1_api_register_creates_an_unconfirmed_account_and_mails_a_link(client):
    response = _send(client, "post", "/auth/register",
                     {"email": " Nou@Example.com ", "password": STRONG})
    assert response.status_code == 202, response.content
    assert response.json()["email"] == "nou@example.com" and response.json()["detail"]
    user = User.objects.get(email="nou@example.com")
    assert user.check_password(STRONG) and user.newsletter_opt_in is False
    assert not EmailAddress.objects.get(user=user).verified
    assert [m.to for m in mail.outbox] == [["nou@example.com"]]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_acc1_api_register_with_newsletter(client):
    _send(client, "post", "/auth/register",
          {"email": "nou@example.com", "password": STRONG, "newsletter_opt_in": True})
    assert User.objects.get(email="nou@example.com").newsletter_opt_in is True


def test_acc1_api_register_keeps_the_password_exactly(client):
    _send(client, "post", "/auth/register", {"email": "nou@example.com", "password": STRONG + " "})
    user = User.objects.get(email="nou@example.com")
    assert user.check_password(STRONG + " ") and not user.check_password(STRONG)


def test_acc1_api_register_a_taken_email_answers_like_a_new_one(client, user, counting_hasher):
    """No enumeration from the API sign-up: same status, same body but the address, same hashing;
    the owner is told by email and no second account is made."""
    counting_hasher.calls = 0
    taken = _send(client, "post", "/auth/register", {"email": "MAI@example.com", "password": STRONG})
    taken_hashes, counting_hasher.calls = counting_hasher.calls, 0
    fresh = _send(Client(), "post", "/auth/register", {"email": "nou@example.com", "password": STRONG})
    assert taken.status_code == fresh.status_code == 202
    assert taken.json()["detail"] == fresh.json()["detail"]
    assert taken_hashes == counting_hasher.calls >= 1
    assert User.objects.filter(email__iexact="mai@example.com").count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["mai@example.com", "nou@example.com"]
    assert user.check_password(PASSWORD)  # the owner's account is untouched


def test_acc1_api_token_waits_for_the_email_to_be_confirmed(client):
    _send(client, "post", "/auth/register", {"email": "nou@example.com", "password": STRONG})
    response = _send(client, "post", "/auth/token", {"email": "nou@example.com", "password": STRONG})
    _assert_error(response, 403, "email_unverified")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("password", ["short", "12345678", "password123", "mai@example.com1"])
def test_acc1_api_register_weak_password_is_a_field_error(client, password):
    response = _send(client, "post", "/auth/register",
                     {"email": "mai@example.com", "password": password})
    _assert_error(response, 422, "validation_error", "password")
    assert not User.objects.exists()


@pytest.mark.parametrize("body,field", [
    ({"password": STRONG}, "email"),
    ({"email": "nou@example.com"}, "password"),
    ({"email": 12, "password": STRONG}, "email"),
    ({"email": "nou@example.com", "password": ["x"]}, "password"),
    ({"email": "not-an-email", "password": STRONG}, "email"),
    ({"email": "a" * 250 + "@example.com", "password": STRONG}, "email"),
    ({"email": "nou\x00@example.com", "password": STRONG}, "email"),
    ({"email": "nou@example.com", "password": STRONG, "newsletter_opt_in": "maybe"},
     "newsletter_opt_in"),
    ({"email": "nou@example.com", "password": STRONG, "role": "admin"}, "role"),
    ({"email": "nou@example.com", "password": "x" * 5000}, "password"),
    ({"email": "nou@example.com", "password": ""}, "password"),
])
def test_acc1_api_register_bad_input_is_reported_per_field(client, body, field):
    response = _send(client, "post", "/auth/register", body)
    _assert_error(response, 422, field=field)
    assert not User.objects.exists()


def test_api_register_with_a_body_that_is_not_json(client):
    response = client.post(API + "/auth/register", data="{nope", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "fields"}


# --- tokens -------------------------------------------------------------------------


def test_token_issue_and_use(client, user):
    response = _send(client, "post", "/auth/token", {"email": "Mai@Example.com", "password": PASSWORD})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer" and len(body["token"]) > 30
    stored = ApiToken.objects.get(user=user)
    assert stored.key_hash != body["token"] and stored.key_hash == ApiToken.hash_key(body["token"])
    me = _send(Client(), "get", "/me", token=body["token"])
    assert me.status_code == 200 and me.json()["email"] == "mai@example.com"


@pytest.mark.parametrize("password", ["wrong", PASSWORD.upper(), PASSWORD + " "])
def test_acc1_token_with_wrong_password_is_401(client, user, password):
    response = _send(client, "post", "/auth/token", {"email": user.email, "password": password})
    _assert_error(response, 401, "invalid_credentials")


def test_token_for_unknown_email_is_the_same_401(client):
    response = _send(client, "post", "/auth/token", {"email": "nobody@example.com", "password": "x"})
    _assert_error(response, 401, "invalid_credentials")


def test_token_for_inactive_user_is_refused(client, user):
    user.is_active = False
    user.save()
    response = _send(client, "post", "/auth/token", {"email": user.email, "password": PASSWORD})
    _assert_error(response, 401, "invalid_credentials")


@pytest.mark.parametrize("body,field", [
    ({"password": PASSWORD}, "email"),
    ({"email": "mai@example.com"}, "password"),
    ({"email": "", "password": PASSWORD}, "email"),
    ({"email": "mai\x00@example.com", "password": PASSWORD}, "email"),
    ({"email": "mai@example.com", "password": PASSWORD, "name": "x" * 101}, "name"),
])
def test_token_bad_input_is_a_field_error(client, user, body, field):
    _assert_error(_send(client, "post", "/auth/token", body), 422, field=field)


def test_acc5_token_attempts_are_rate_limited_per_email(client, user):
    """The token endpoint is a sign-in: django-axes' per-account limit, shared with the form."""
    for _ in range(policy.failed_logins_lockout_per_account):
        _send(client, "post", "/auth/token", {"email": user.email, "password": "wrong"})
    response = _send(client, "post", "/auth/token", {"email": user.email, "password": PASSWORD})
    _assert_error(response, 429, "rate_limited")
    assert not ApiToken.objects.exists()


def test_bad_token_is_401_in_the_error_shape(client):
    _assert_error(_send(client, "get", "/me", token="nonsense"), 401, "not_authenticated")
    _assert_error(_send(client, "post", "/addresses", ADDRESS, token="nonsense"), 401)
    _assert_error(_send(client, "get", "/me"), 401, "not_authenticated")


def test_revoke_the_token_in_use(client, user, token):
    other_token = ApiToken.issue(user)[1]
    response = _send(client, "delete", "/auth/token", token=token)
    assert response.status_code == 204
    _assert_error(_send(client, "get", "/me", token=token), 401)
    assert _send(client, "get", "/me", token=other_token).status_code == 200


def test_revoke_without_a_token_says_so(client, user):
    client.force_login(user)
    _assert_error(_send(client, "delete", "/auth/token"), 400, "no_token")


def test_token_of_an_inactive_user_stops_working(client, user, token):
    User.objects.filter(pk=user.pk).update(is_active=False)
    _assert_error(_send(client, "get", "/me", token=token), 401)


# --- session auth from the browser -------------------------------------------------


def test_session_auth_reads_without_csrf_but_writes_need_it(user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert _send(browser, "get", "/me").status_code == 200
    refused = _send(browser, "post", "/addresses", ADDRESS)
    _assert_error(refused, 403)
    assert not Address.objects.exists()
    browser.get("/account/")  # any page with a form sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    accepted = _send(browser, "post", "/addresses", ADDRESS, HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 201


# --- profile --------------------------------------------------------------------------


def test_me_and_patch_me(client, user, token):
    body = _send(client, "get", "/me", token=token).json()
    assert body["email"] == "mai@example.com" and body["newsletter_opt_in"] is False
    response = _send(client, "patch", "/me", {"first_name": " Pa ", "newsletter_opt_in": True},
                     token=token)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Pa" and user.last_name == "Vang" and user.newsletter_opt_in


@pytest.mark.parametrize("body,field", [
    ({"first_name": "a" * 151}, "first_name"),
    ({"last_name": 5}, "last_name"),
    ({"newsletter_opt_in": "maybe"}, "newsletter_opt_in"),
    ({"newsletter_opt_in": None}, "newsletter_opt_in"),
    ({"email": "new@example.com"}, "email"),
    ({"first_name": "Pa\x00"}, "first_name"),
])
def test_patch_me_bad_input(client, user, token, body, field):
    _assert_error(_send(client, "patch", "/me", body, token=token), 422, field=field)
    user.refresh_from_db()
    assert user.email == "mai@example.com" and user.first_name == "Mai"


# --- address book (ACC-7) --------------------------------------------------------------


def test_acc7_api_address_crud(client, user, token):
    created = _send(client, "post", "/addresses", ADDRESS, token=token)
    assert created.status_code == 201, created.content
    first = created.json()
    assert first["is_default"] is True and first["country_name"] == "United States"
    second = _send(client, "post", "/addresses", {**ADDRESS, "city": "Fresno", "region": "CA",
                                                  "postal_code": "93721"}, token=token).json()
    assert second["is_default"] is False

    listing = _send(client, "get", "/addresses", token=token).json()
    assert listing["count"] == 2 and listing["page"] == 1
    assert [a["id"] for a in listing["items"]] == [first["id"], second["id"]]

    detail = _send(client, "get", f"/addresses/{second['id']}", token=token)
    assert detail.json()["city"] == "Fresno"

    patched = _send(client, "patch", f"/addresses/{second['id']}", {"city": "Merced"}, token=token)
    assert patched.status_code == 200 and patched.json()["city"] == "Merced"

    made_default = _send(client, "post", f"/addresses/{second['id']}/default", token=token)
    assert made_default.status_code == 200 and made_default.json()["is_default"] is True
    assert Address.objects.get(pk=first["id"]).is_default is False

    deleted = _send(client, "delete", f"/addresses/{second['id']}", token=token)
    assert deleted.status_code == 204
    assert Address.objects.get(pk=first["id"]).is_default is True  # promoted


def test_acc7_api_create_as_default(client, user, token):
    AddressFactory(user=user, is_default=True)
    body = _send(client, "post", "/addresses", {**ADDRESS, "is_default": True}, token=token).json()
    assert body["is_default"] is True
    assert Address.objects.filter(user=user, is_default=True).count() == 1


@pytest.mark.parametrize("changes,field", [
    ({"first_name": " "}, "first_name"),
    ({"last_name": ""}, "last_name"),
    ({"country": "XX"}, "country"),
    ({"country": 1}, "country"),
    ({"postal_code": ""}, "postal_code"),
    ({"postal_code": "1234"}, "postal_code"),
    ({"phone": "call me"}, "phone"),
    ({"line1": "x" * 201}, "line1"),
    ({"is_default": "sometimes"}, "is_default"),
    ({"colour": "blue"}, "colour"),
])
def test_acc7_api_bad_address_is_reported_per_field(client, user, token, changes, field):
    response = _send(client, "post", "/addresses", {**ADDRESS, **changes}, token=token)
    _assert_error(response, 422, field=field)
    assert not Address.objects.exists()


@pytest.mark.parametrize("missing", ["first_name", "last_name", "line1", "city", "country", "phone"])
def test_acc7_api_missing_address_fields(client, token, missing):
    body = {k: v for k, v in ADDRESS.items() if k != missing}
    errors = _assert_error(_send(client, "post", "/addresses", body, token=token), 422, field=missing)
    assert errors["fields"][missing] == ["This field is required."]


def test_acc7_api_patch_is_rechecked_as_a_whole(client, user, token):
    address = AddressFactory(user=user, is_default=True)
    response = _send(client, "patch", f"/addresses/{address.pk}", {"country": "GB"}, token=token)
    _assert_error(response, 422, field="postal_code")
    response = _send(client, "patch", f"/addresses/{address.pk}", {"first_name": None}, token=token)
    _assert_error(response, 422, field="first_name")
    address.refresh_from_db()
    assert address.country == "US" and address.first_name == "Mai"


@pytest.mark.parametrize("method,suffix", [
    ("get", ""), ("patch", ""), ("delete", ""), ("post", "/default"),
])
def test_acc7_api_someone_elses_address_is_404(client, token, method, suffix):
    other = AddressFactory(is_default=True)
    body = {"city": "Stolen"} if method == "patch" else None
    response = _send(client, method, f"/addresses/{other.pk}{suffix}", body, token=token)
    _assert_error(response, 404, "not_found")
    other.refresh_from_db()
    assert other.city == "Saint Paul"


@pytest.mark.parametrize("address_id", ["abc", "1.5"])
def test_acc7_api_non_numeric_id_is_a_field_error(client, token, address_id):
    _assert_error(_send(client, "get", f"/addresses/{address_id}", token=token), 422,
                  field="address_id")


@pytest.mark.parametrize("address_id", [0, -3, 10**25])
def test_acc7_api_impossible_id_is_404(client, token, address_id):
    _assert_error(_send(client, "get", f"/addresses/{address_id}", token=token), 404)
    _assert_error(_send(client, "delete", f"/addresses/{address_id}", token=token), 404)


def test_acc7_api_address_list_is_only_mine_and_paginated(client, user, token):
    for _ in range(3):
        AddressFactory(user=user)
    AddressFactory()
    body = _send(client, "get", "/addresses?page_size=2", token=token).json()
    assert body["count"] == 3 and body["pages"] == 2 and len(body["items"]) == 2
    _assert_error(_send(client, "get", "/addresses?page_size=0", token=token), 422,
                  field="page_size")


def test_acc5_a_success_clears_the_failures_of_the_account(client, user):
    for _ in range(policy.failed_logins_per_account - 1):
        _send(client, "post", "/auth/token", {"email": user.email, "password": "wrong"})
    assert _send(client, "post", "/auth/token",
                 {"email": user.email, "password": PASSWORD}).status_code == 200
    _send(client, "post", "/auth/token", {"email": user.email, "password": "wrong"})
    assert _send(client, "post", "/auth/token",
                 {"email": user.email, "password": PASSWORD}).status_code == 200


def test_acc5_token_attempts_are_rate_limited_per_address(client):
    for n in range(policy.failed_logins_per_address):
        _send(client, "post", "/auth/token", {"email": f"guess{n}@example.com", "password": "x"})
    user = UserFactory()
    response = _send(client, "post", "/auth/token", {"email": user.email, "password": PASSWORD})
    _assert_error(response, 429, "rate_limited")
