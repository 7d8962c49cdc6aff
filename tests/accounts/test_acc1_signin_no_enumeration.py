"""ACC-1 sign-in: warnings for Caps Lock and spaces, the password used exactly as typed, one generic
message, and no way to learn whether an email is registered from sign-in, sign-up or reset."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
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


def test_acc1_signup_with_a_taken_email_looks_like_any_signup_under_mandatory_verification(client, settings):
    """With verification mandatory (a deployment choice), sign-up tells nothing."""
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    UserFactory(email="taken@example.com")
    data = {"password1": "Indigo river 1975 song", "password2": "Indigo river 1975 song"}
    taken = client.post(reverse("account_signup"), {"email": "taken@example.com", **data})
    fresh = client.post(reverse("account_signup"), {"email": "fresh@example.com", **data})
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]

