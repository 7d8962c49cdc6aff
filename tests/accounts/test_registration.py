"""Registration, sign-in and sign-out pages (ACC-1)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "Paj ntaub 2024 story"


def _signup(client, **extra):
    data = {"email": "nou@example.com", "password1": STRONG, "password2": STRONG, **extra}
    return client.post(reverse("account_signup"), data)


def _input_tag(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    return match.group(0)


def test_acc1_signup_page_has_labelled_fields_and_unticked_newsletter_box(client):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    html = response.content.decode()
    box = _input_tag(html, "newsletter_opt_in")
    assert 'type="checkbox"' in box
    assert "checked" not in box  # RULE ACC-1: unticked by default
    for field_id in ("id_email", "id_password1", "id_password2", "id_newsletter_opt_in"):
        assert f'for="{field_id}"' in html, f"{field_id} has no label"
    assert "{% extends" not in html and 'class="site-header"' in html  # inside our layout


def test_acc1_signup_without_ticking_keeps_newsletter_off(client):
    response = _signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="nou@example.com")
    assert user.newsletter_opt_in is False
    assert user.check_password(STRONG)


def test_acc1_signup_with_ticked_box_opts_in(client):
    _signup(client, newsletter_opt_in="on")
    assert User.objects.get(email="nou@example.com").newsletter_opt_in is True


def test_acc1_signup_with_an_email_already_used_makes_no_second_account_and_tells_the_owner(client):
    """ACC-1: no error naming the email as taken (that would enumerate); the owner is mailed instead."""
    UserFactory(email="mai@example.com")
    response = _signup(client, email="MAI@Example.COM")
    assert response.status_code == 302 and response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact="mai@example.com").count() == 1
    assert [m.to for m in mail.outbox] == [["mai@example.com"]]
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("password", ["abc", "12345678", "password", "nou@example.com"])
def test_acc1_signup_refuses_weak_or_short_passwords(client, password):
    response = _signup(client, password1=password, password2=password)
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="nou@example.com").exists()


def test_acc1_signup_with_mismatched_passwords_is_refused(client):
    response = _signup(client, password2=STRONG + "x")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.exists()


def test_acc1_signup_keeps_surrounding_spaces_of_the_password(client):
    spaced = f" {STRONG} "
    _signup(client, password1=spaced, password2=spaced)
    user = User.objects.get(email="nou@example.com")
    assert user.check_password(spaced)
    assert not user.check_password(STRONG)  # never trimmed silently


def test_acc1_signup_refuses_a_missing_or_invalid_email(client):
    for email in ("", "not-an-email", "a" * 250 + "@example.com"):
        response = _signup(client, email=email)
        assert response.status_code == 200
        assert "email" in response.context["form"].errors


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_acc1_login_page_is_accessible_and_warns_in_the_help(client):
    html = client.get(reverse("account_login")).content.decode()
    assert 'for="id_login"' in html and 'for="id_password"' in html
    assert 'aria-describedby="id_password_helptext"' in html
    assert "case sensitive" in html
    assert "js/site.js" in html  # the Caps Lock / spaces warning script


def test_acc1_login_with_the_right_password_signs_in(client):
    user = UserFactory()
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_acc1_login_email_is_not_case_sensitive(client):
    user = UserFactory(email="mai@example.com")
    _login(client, "Mai@Example.com", PASSWORD)
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_acc1_wrong_password_shows_an_error(client):
    user = UserFactory()
    response = _login(client, user.email, "not the password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_acc1_passwords_are_case_sensitive(client):
    user = UserFactory()
    response = _login(client, user.email, PASSWORD.upper())
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_acc1_a_password_with_a_trailing_space_is_a_different_password(client):
    user = UserFactory()
    _login(client, user.email, PASSWORD + " ")
    assert "_auth_user_id" not in client.session
    spaced = UserFactory()
    spaced.set_password(PASSWORD + " ")
    spaced.save()
    _login(client, spaced.email, PASSWORD)
    assert "_auth_user_id" not in client.session
    _login(client, spaced.email, PASSWORD + " ")
    assert client.session.get("_auth_user_id") == str(spaced.pk)


def test_acc1_sign_out_asks_on_get_and_signs_out_on_post(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("account_logout"))
    assert page.status_code == 200
    assert "_auth_user_id" in client.session  # a GET never signs out
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("name", ["account_change_password", "accounts:email_change"])
def test_other_account_pages_render_in_our_layout_with_labels(client, name):
    client.force_login(UserFactory())
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header"' in html
    main = html[html.index("<main"):]
    for field_id in re.findall(r'<input(?![^>]*type="(?:hidden|submit|radio)")[^>]*id="([^"]+)"', main):
        assert f'for="{field_id}"' in main, f"{name}: {field_id} has no label"


def test_acc1_password_change_keeps_spaces_and_needs_the_old_password(client):
    user = UserFactory()
    client.force_login(user)
    new = " New river song 1975 "
    refused = client.post(reverse("account_change_password"), {
        "oldpassword": PASSWORD.upper(), "password1": new, "password2": new})
    assert refused.status_code == 200 and "oldpassword" in refused.context["form"].errors
    done = client.post(reverse("account_change_password"), {
        "oldpassword": PASSWORD, "password1": new, "password2": new})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new) and not user.check_password(new.strip())
