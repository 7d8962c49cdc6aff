"""ACC-1 sign-in: warnings for Caps Lock and spaces, the password used exactly as typed, one generic
message, and no way to learn whether an email is registered from sign-in, sign-up or reset."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how many times a password is hashed."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_acc1_signin_page_has_caps_lock_and_space_warnings_wired_to_the_password(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "data-password-warnings" in html
    assert 'id="caps-lock-warning"' in html and "Caps Lock is on" in html
    assert 'id="password-space-warning"' in html and "starts or ends with a space" in html
    script = (Path(django_settings.BASE_DIR) / "static" / "js" / "site.js").read_text()
    assert 'getModifierState("CapsLock")' in script
    assert "form[data-password-warnings]" in script
    # the sign-in warnings only show or hide hints: they never write the password field
    block = script[script.index("ACC-1: the sign-in form warns"):]
    block = block[:block.index("})();")]
    assert ".value =" not in block and "trim" not in block


def test_acc1_signin_a_trailing_space_signs_in_only_when_typed(client):
    user = UserFactory()
    user.set_password(PASSWORD + " ")
    user.save()
    _login(client, user.email, PASSWORD)
    assert "_auth_user_id" not in client.session
    _login(client, user.email, " " + PASSWORD + " ")
    assert "_auth_user_id" not in client.session
    _login(client, user.email, PASSWORD + " ")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_acc1_signin_one_generic_message_for_unknown_email_and_wrong_password(client):
    user = UserFactory()
    unknown = _login(client, "nobody-here@example.com", PASSWORD)
    wrong = _login(client, user.email, PASSWORD + "x")
    assert unknown.status_code == wrong.status_code == 200
    message = "The email address or password is not correct."
    assert message in unknown.content.decode() and message in wrong.content.decode()
    assert unknown.context["form"].errors == wrong.context["form"].errors


def test_acc1_signin_an_unknown_email_costs_the_same_password_hashing(client, counting):
    user = UserFactory()
    counting.calls = 0
    _login(client, user.email, "not the password")
    known = counting.calls
    counting.calls = 0
    _login(client, "nobody-here@example.com", "not the password")
    unknown = counting.calls
    assert known >= 1
    assert unknown == known


def test_acc1_signin_api_token_an_unknown_email_costs_the_same_hashing(client, counting):
    user = UserFactory()

    def attempt(email):
        counting.calls = 0
        response = client.post("/api/v1/auth/token", {"email": email, "password": "not the password"},
                               content_type="application/json")
        return response, counting.calls

    known, known_calls = attempt(user.email)
    unknown, unknown_calls = attempt("nobody-here@example.com")
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json()
    assert known_calls == unknown_calls >= 1


def test_acc1_reset_says_the_same_for_a_known_and_an_unknown_email(client):
    user = UserFactory()
    known = client.post(reverse("account_reset_password"), {"email": user.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody-here@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # each address gets one email: a link for the account, a note for the unknown address
    assert sorted(m.to[0] for m in mail.outbox) == sorted([user.email, "nobody-here@example.com"])


def _signup(client, email):
    data = {"email": email, "password1": "Indigo river 1975 song", "password2": "Indigo river 1975 song"}
    return client.post(reverse("account_signup"), data)


def test_acc1_signup_with_a_taken_email_looks_like_any_signup_in_the_default_settings(counting):
    """No settings changed: sign-up tells nothing, answers the same and hashes the same."""
    assert django_settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
    UserFactory(email="taken@example.com")

    def attempt(email):
        client = Client()
        counting.calls = 0
        response = _signup(client, email)
        hashes = counting.calls
        html = client.get(response["Location"]).content.decode().replace(email, "X")
        html = re.sub(r"[A-Za-z0-9]{64}", "CSRF", html)  # the masked CSRF token differs per request
        return response, hashes, html

    taken, taken_hashes, taken_page = attempt("taken@example.com")
    fresh, fresh_hashes, fresh_page = attempt("fresh@example.com")
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"] == reverse("account_email_verification_sent")
    assert taken_hashes == fresh_hashes >= 1
    assert taken_page == fresh_page  # the page both land on, word for word but the address
    # each address gets one email: a confirmation link for the new one, a note for the owner
    assert sorted(m.to[0] for m in mail.outbox) == ["fresh@example.com", "taken@example.com"]
    assert "/accounts/confirm-email/" in next(m.body for m in mail.outbox if m.to == ["fresh@example.com"])


def test_acc1_signup_form_signs_in_after_the_emailed_link(client):
    response = _signup(client, "fresh@example.com")
    assert "_auth_user_id" not in client.session
    link = re.search(r"https?://testserver(/accounts/confirm-email/[^\s]+/)", mail.outbox[-1].body).group(1)
    client.post(link)
    signed = client.post(reverse("account_login"), {"login": "fresh@example.com",
                                                    "password": "Indigo river 1975 song"})
    assert response.status_code == 302 and signed.status_code == 302
    assert "_auth_user_id" in client.session


def test_acc1_a_setting_that_would_enumerate_fails_the_system_check(settings):
    from accounts.checks import signup_cannot_enumerate

    assert signup_cannot_enumerate() == []
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    assert [e.id for e in signup_cannot_enumerate()] == ["accounts.E002"]
