"""ACC-4 social sign-in through the real allauth views (login → provider → callback), with the
providers' HTTP exchange faked at the HTTP boundary (`responses`); Instagram only for accounts
already linked; never attached to an existing account through a matching email."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from allauth.socialaccount.models import SocialAccount
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

APP = {"client_id": "test-client", "secret": "test-secret", "key": "test-public-key"}
TOKEN = {"access_token": "tok-123", "token_type": "bearer", "expires_in": 3600, "user_id": 4242}

# provider id → (token URL, profile method, profile URL pattern, profile JSON)
TOKEN_METHOD = {"facebook": "GET"}  # the others exchange the code by POST
PROVIDERS = {
    "google": ("https://oauth2.googleapis.com/token", "GET", r"https://www\.googleapis\.com/oauth2/v2/userinfo",
               {"id": "g-1", "email": "mai.google@example.net", "verified_email": True, "given_name": "Mai",
                "family_name": "Vang", "name": "Mai Vang"}),
    "facebook": ("https://graph.facebook.com/v19.0/oauth/access_token", "GET",
                 r"https://graph\.facebook\.com/v19\.0/me",
                 {"id": "fb-1", "email": "mai.fb@example.net", "first_name": "Mai", "last_name": "Vang",
                  "name": "Mai Vang"}),
    "twitter_oauth2": ("https://api.x.com/2/oauth2/token", "GET", r"https://api\.x\.com/2/users/me",
                       {"data": {"id": "x-1", "username": "maivang", "name": "Mai Vang"}}),
    "pinterest": ("https://api.pinterest.com/v5/oauth/token", "GET",
                  r"https://api\.pinterest\.com/v5/user_account",
                  {"id": "p-1", "username": "maivang"}),
    "vk": ("https://id.vk.ru/oauth2/auth", "POST", r"https://id\.vk\.ru/oauth2/user_info",
           {"user": {"user_id": 777001, "first_name": "Mai", "last_name": "Vang",
                     "email": "mai.vk@example.net"}}),
    "odnoklassniki": ("https://api.odnoklassniki.ru/oauth/token.do", "GET",
                      r"https://api\.odnoklassniki\.ru/fb\.do",
                      {"uid": "ok-1", "first_name": "Mai", "last_name": "Vang",
                       "email": "mai.ok@example.net"}),
    "instagram": ("https://api.instagram.com/oauth/access_token", "GET", r"https://graph\.instagram\.com/me",
                  {"id": "ig-1", "username": "maivang"}),
}


@pytest.fixture(autouse=True)
def _apps(settings):
    """Every provider configured from settings (the env-var path of settings.py)."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        name: {**conf, "APPS": [dict(APP)]} for name, conf in django_settings.SOCIALACCOUNT_PROVIDERS.items()
    }


def _fake(provider: str, profile: dict | None = None) -> None:
    token_url, method, profile_url, data = PROVIDERS[provider]
    responses.add(TOKEN_METHOD.get(provider, "POST"), re.compile(re.escape(token_url)), json=TOKEN)
    responses.add(method, re.compile(profile_url), json=profile if profile is not None else data)


def _sign_in(client, provider: str, *, process: str = "login"):
    """POST to allauth's login view, follow to the provider (faked), come back to the callback."""
    start = client.post(f"/accounts/{provider}/login/", {"process": process})
    assert start.status_code == 302, start.content[:500]
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    return client.get(f"/accounts/{provider}/login/callback/",
                      {"code": "auth-code", "state": state, "device_id": "dev-1"})


def test_acc4_the_six_providers_and_instagram_are_installed_and_configured_from_settings():
    for name in ("google", "facebook", "twitter_oauth2", "pinterest", "vk", "odnoklassniki", "instagram"):
        assert f"allauth.socialaccount.providers.{name}" in django_settings.INSTALLED_APPS
    assert django_settings.SOCIALACCOUNT_EMAIL_AUTHENTICATION is False
    assert django_settings.SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT is False


SIX = ["google", "facebook", "twitter_oauth2", "pinterest", "vk", "odnoklassniki"]


@pytest.mark.parametrize("provider", SIX)
@responses.activate
def test_acc4_social_sign_in_creates_an_account_linked_to_the_provider(client, provider):
    _fake(provider)
    response = _sign_in(client, provider)
    assert response.status_code == 302
    assert len(responses.calls) == 2  # the code exchanged for a token, then the profile read
    if "_auth_user_id" not in client.session:  # no email from the provider: allauth asks for one first
        assert response["Location"] == reverse("socialaccount_signup")
        given = client.post(reverse("socialaccount_signup"), {"email": f"{provider}@example.net"})
        assert given.status_code == 302
    account = SocialAccount.objects.get(provider=provider)
    assert client.session["_auth_user_id"] == str(account.user_id)


@responses.activate
def test_acc4_without_an_email_the_person_gives_one_then_is_signed_in(client):
    _fake("twitter_oauth2")
    response = _sign_in(client, "twitter_oauth2")
    assert response["Location"] == reverse("socialaccount_signup")
    done = client.post(reverse("socialaccount_signup"), {"email": "mai.x@example.net"})
    assert done.status_code == 302
    user = User.objects.get(email="mai.x@example.net")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert SocialAccount.objects.get(provider="twitter_oauth2").user == user


@pytest.mark.parametrize("verified", [True, False])
@responses.activate
def test_acc4_a_matching_email_never_signs_in_to_the_existing_account(client, verified):
    owner = UserFactory(email="mai.google@example.net")
    profile = {**PROVIDERS["google"][3], "verified_email": verified}
    _fake("google", profile)
    response = _sign_in(client, "google")
    assert client.session.get("_auth_user_id") != str(owner.pk)
    assert not SocialAccount.objects.filter(user=owner).exists()
    # ACC-1 too: the answer is the one of any sign-up ("check your email"); the owner gets a note
    assert response.status_code == 302 and response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.count() == 1 and not SocialAccount.objects.exists()
    assert [m.to for m in mail.outbox] == [[owner.email]]


@responses.activate
def test_acc4_instagram_new_sign_up_is_refused_with_guidance(client):
    _fake("instagram")
    response = _sign_in(client, "instagram")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Forgot your password?" in html and reverse("account_reset_password") in html
    assert reverse("account_signup") in html and "Connected accounts" in html
    assert not SocialAccount.objects.exists() and not User.objects.exists()
    assert "_auth_user_id" not in client.session


@responses.activate
def test_acc4_instagram_account_already_linked_still_signs_in(client):
    user = UserFactory()
    SocialAccount.objects.create(user=user, provider="instagram", uid="ig-1", extra_data={})
    _fake("instagram")
    response = _sign_in(client, "instagram")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@responses.activate
def test_acc4_instagram_new_connection_is_refused(client):
    user = UserFactory()
    client.force_login(user)
    _fake("instagram")
    response = _sign_in(client, "instagram", process="connect")
    assert response.status_code == 403 and "New Instagram connections" in response.content.decode()
    assert not SocialAccount.objects.exists()


@responses.activate
def test_acc4_a_signed_in_owner_may_connect_another_provider(client):
    """The one way a provider joins an existing account: its owner, signed in, connects it."""
    user = UserFactory()
    client.force_login(user)
    _fake("facebook")
    response = _sign_in(client, "facebook", process="connect")
    assert response.status_code == 302
    assert SocialAccount.objects.get(provider="facebook").user == user


@responses.activate
def test_acc4_a_forged_state_or_a_provider_error_is_refused_without_a_500(client):
    _fake("google")
    client.post("/accounts/google/login/", {"process": "login"})
    forged = client.get("/accounts/google/login/callback/", {"code": "x", "state": "forged"})
    assert forged.status_code < 500 and "_auth_user_id" not in client.session
    denied = client.get("/accounts/google/login/callback/", {"error": "access_denied", "state": "x"})
    assert denied.status_code < 500 and "_auth_user_id" not in client.session
    assert not User.objects.exists()


@responses.activate
def test_acc4_a_provider_outage_is_an_error_page_not_a_500(client):
    responses.add(responses.POST, PROVIDERS["google"][0], status=503)
    response = _sign_in(client, "google")
    assert 200 <= response.status_code < 500 and "_auth_user_id" not in client.session


def test_acc4_the_sign_in_page_offers_the_configured_providers(client):
    html = client.get(reverse("account_login")).content.decode()
    for name in ("Google", "Facebook", "VK"):
        assert name in html


@pytest.mark.parametrize("path", ["/accounts/3rdparty/", "/accounts/google/login/"])
def test_acc4_social_pages_render_in_our_layout_with_labels(client, path):
    client.force_login(UserFactory())
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 200 and 'class="site-header"' in html


@responses.activate
def test_acc4_the_social_signup_page_is_ours_and_labelled(client):
    _fake("pinterest")
    _sign_in(client, "pinterest")
    html = client.get(reverse("socialaccount_signup")).content.decode()
    assert 'class="site-header"' in html and 'for="id_email"' in html


def test_acc4_a_connected_account_is_listed_and_can_be_removed(client):
    user = UserFactory()
    linked = SocialAccount.objects.create(user=user, provider="facebook", uid="fb-9", extra_data={})
    client.force_login(user)
    page = client.get(reverse("socialaccount_connections")).content.decode()
    assert f'for="id_account_{linked.pk}"' in page
    client.post(reverse("socialaccount_connections"), {"account": linked.pk})
    assert not SocialAccount.objects.filter(pk=linked.pk).exists()
