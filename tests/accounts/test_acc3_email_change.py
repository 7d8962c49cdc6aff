"""ACC-3: change the sign-in email in exactly six steps, with 6-digit codes that expire and allow 5 tries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import email_change as ec
from accounts.models import ApiToken, EmailChange, User, VerificationCode
from core.errors import Conflict, DomainError
from core.policy import policy
from tests.accounts.helpers import last_code_email, wrong
from tests.factories import PASSWORD, UserFactory
from tests.tasks import run_pending_tasks

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
NEW = "mai.new@example.org"


def _through_step_four(user, *, now=T0) -> str:
    """Steps 1-4 done; returns the code sent to the new address."""
    ec.email_change_start(user=user, now=now)
    ec.email_change_confirm_current(user=user, code=last_code_email(user.email), now=now)
    ec.email_change_set_new(user=user, new_email=NEW, now=now)
    return last_code_email(NEW)


def test_acc3_six_steps_change_the_email_and_tell_the_old_address():
    user = UserFactory()
    old = user.email
    # 1. a code to the current address
    run = ec.email_change_start(user=user, now=T0)
    assert run.step == EmailChange.Step.CURRENT_CODE_SENT
    first = last_code_email(old)
    assert len(first) == policy.email_change_code_digits == 6
    # a new address cannot be given before the current one is proven
    with pytest.raises(Conflict):
        ec.email_change_set_new(user=user, new_email=NEW, now=T0)
    # 2. enter it
    assert ec.email_change_confirm_current(user=user, code=first, now=T0).step == "current_verified"
    # 3. the new address; 4. a code there
    ec.email_change_set_new(user=user, new_email=NEW, now=T0)
    second = last_code_email(NEW)
    user.refresh_from_db()
    assert user.email == old  # nothing changes before the last code
    # the first code does not work for the second step
    with pytest.raises(DomainError):
        ec.email_change_confirm_new(user=user, code=first if first != second else wrong(second), now=T0)
    # 5. enter it; 6. changed
    done = ec.email_change_confirm_new(user=user, code=second, now=T0)
    assert done.step == EmailChange.Step.DONE
    user.refresh_from_db()
    assert user.email == NEW
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary")) == [
        (NEW, True, True)]
    mail.outbox.clear()
    run_pending_tasks()
    told = [m for m in mail.outbox if m.to == [old]]
    assert len(told) == 1 and "changed" in told[0].body
    assert NEW not in told[0].body  # the new address is shown masked
    run_pending_tasks()
    assert len([m for m in mail.outbox if m.to == [old]]) == 1  # told once


def test_acc3_codes_are_stored_hashed_never_in_clear():
    user = UserFactory()
    ec.email_change_start(user=user, now=T0)
    code = last_code_email(user.email)
    row = VerificationCode.objects.get(user=user)
    for value in (row.salt, row.code_hash, row.destination, row.context):
        assert code not in value
    from django_tasks_db.models import DBTaskResult

    for task in DBTaskResult.objects.all():  # nor in the outbox rows
        assert code not in str(task.args_kwargs)


def test_acc3_a_code_expires_after_the_policy_lifetime():
    lifetime = policy.email_change_code_lifetime
    assert lifetime == dt.timedelta(minutes=15)
    user = UserFactory()
    ec.email_change_start(user=user, now=T0)
    code = last_code_email(user.email)
    with time_machine.travel(T0 + lifetime + SECOND, tick=False), pytest.raises(DomainError) as late:
        ec.email_change_confirm_current(user=user, code=code, now=T0 + lifetime + SECOND)
    assert late.value.code == "code_expired"
    ec.email_change_resend(user=user, now=T0 + lifetime)
    fresh = last_code_email(user.email)
    at = T0 + lifetime + lifetime - SECOND  # one second before the new code expires
    assert ec.email_change_confirm_current(user=user, code=fresh, now=at).step == "current_verified"


def test_acc3_five_wrong_tries_then_even_the_right_code_is_refused():
    assert policy.email_change_code_attempts == 5
    user = UserFactory()
    ec.email_change_start(user=user, now=T0)
    code = last_code_email(user.email)
    for left in (4, 3, 2, 1):
        with pytest.raises(DomainError) as exc:
            ec.email_change_confirm_current(user=user, code=wrong(code), now=T0)
        assert exc.value.code == "code_wrong" and f"{left} more" in exc.value.message
    with pytest.raises(DomainError) as fifth:
        ec.email_change_confirm_current(user=user, code=wrong(code), now=T0)
    assert fifth.value.code == "code_attempts_exhausted"
    with pytest.raises(DomainError) as right:
        ec.email_change_confirm_current(user=user, code=code, now=T0)
    assert right.value.code == "code_attempts_exhausted"
    # a new code starts the count again, and the old one stays dead
    ec.email_change_resend(user=user, now=T0)
    fresh = last_code_email(user.email)
    assert ec.email_change_confirm_current(user=user, code=fresh, now=T0).step == "current_verified"


@pytest.mark.parametrize("entered", ["", "12345", "1234567", "abcdef", None, 123456, " " * 6, "12 345"])
def test_acc3_malformed_codes_are_wrong_codes_not_errors(entered):
    user = UserFactory()
    ec.email_change_start(user=user, now=T0)
    with pytest.raises(DomainError) as exc:
        ec.email_change_confirm_current(user=user, code=entered, now=T0)
    assert exc.value.code == "code_wrong" and exc.value.fields == {"code": [exc.value.message]}


def test_acc3_a_used_code_cannot_be_used_again():
    from accounts.codes import code_check

    user = UserFactory()
    ec.email_change_start(user=user, now=T0)
    code = last_code_email(user.email)
    ec.email_change_confirm_current(user=user, code=code, now=T0)
    with pytest.raises(Conflict):  # the step is over
        ec.email_change_confirm_current(user=user, code=code, now=T0)
    with pytest.raises(DomainError) as again:  # and the code itself is spent
        code_check(user=user, purpose=VerificationCode.Purpose.EMAIL_CURRENT, entered=code, now=T0)
    assert again.value.code == "code_used"


def test_acc3_a_resent_code_replaces_the_previous_one():
    user = UserFactory()
    ec.email_change_start(user=user, now=T0)
    first = last_code_email(user.email)
    ec.email_change_resend(user=user, now=T0)
    second = last_code_email(user.email)
    if first != second:
        with pytest.raises(DomainError):
            ec.email_change_confirm_current(user=user, code=first, now=T0)
    ec.email_change_confirm_current(user=user, code=second, now=T0)


@pytest.mark.parametrize(("new_email", "message"), [
    ("taken@example.com", "already used by another account"),
    ("TAKEN@example.com", "already used by another account"),
    ("not-an-email", "valid email address"),
    ("", "required"),
    ("a" * 250 + "@example.com", "too long"),
])
def test_acc3_a_taken_or_bad_new_address_gets_a_clear_field_error(new_email, message):
    UserFactory(email="taken@example.com")
    user = UserFactory()
    ec.email_change_start(user=user, now=T0)
    ec.email_change_confirm_current(user=user, code=last_code_email(user.email), now=T0)
    with pytest.raises(DomainError) as exc:
        ec.email_change_set_new(user=user, new_email=new_email, now=T0)
    assert message in " ".join(exc.value.fields["new_email"])
    assert not VerificationCode.objects.filter(purpose="email_new").exists()


def test_acc3_own_address_is_refused_as_the_new_one():
    user = UserFactory()
    ec.email_change_start(user=user, now=T0)
    ec.email_change_confirm_current(user=user, code=last_code_email(user.email), now=T0)
    with pytest.raises(DomainError) as exc:
        ec.email_change_set_new(user=user, new_email=user.email.upper(), now=T0)
    assert "already your email" in exc.value.fields["new_email"][0]


def test_acc3_an_address_taken_between_steps_four_and_five_is_refused():
    user = UserFactory()
    code = _through_step_four(user)
    UserFactory(email=NEW)
    with pytest.raises(DomainError) as exc:
        ec.email_change_confirm_new(user=user, code=code, now=T0)
    assert "already used" in exc.value.fields["new_email"][0]
    user.refresh_from_db()
    assert user.email != NEW


RESET_LINK = re.compile(r"https?://testserver(/accounts/password/reset/key/[^\s]+/)")


def test_acc3_password_reset_links_sent_before_the_change_stop_working(client):
    user = UserFactory()
    client.post(reverse("account_reset_password"), {"email": user.email})
    link = RESET_LINK.search(mail.outbox[-1].body).group(1)
    code = _through_step_four(user)
    ec.email_change_confirm_new(user=user, code=code, now=T0)
    opened = client.get(link, follow=True)
    assert "reset_user" not in (opened.context or {}) or opened.context.get("token_fail")
    assert b"password1" not in opened.content  # no form to choose a new password


def test_acc3_a_reset_link_still_works_without_an_email_change(client):
    """The control of the test above: the same steps minus the change leave the link usable."""
    user = UserFactory()
    client.post(reverse("account_reset_password"), {"email": user.email})
    link = RESET_LINK.search(mail.outbox[-1].body).group(1)
    _through_step_four(user)
    opened = client.get(link, follow=True)
    assert b"password1" in opened.content


def test_acc3_sign_out_other_sessions_keeps_this_one():
    user = UserFactory()
    here, there = Client(), Client()
    here.force_login(user)
    there.force_login(user)
    assert there.get(reverse("accounts:profile")).status_code == 200
    response = here.post(reverse("accounts:email_change"), {"action": "sign_out_others"})
    assert response.status_code == 302
    assert here.get(reverse("accounts:profile")).status_code == 200
    assert there.get(reverse("accounts:profile")).status_code == 302  # sent to sign in


def test_acc3_sign_out_other_sessions_revokes_api_tokens_too_but_the_callers():
    user = UserFactory()
    _kept, key = ApiToken.issue(user)
    _other, other_key = ApiToken.issue(user)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert Client().post("/api/v1/account/sessions/sign-out-others", **bearer).status_code == 204
    assert Client().get("/api/v1/me", **bearer).status_code == 200
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {other_key}").status_code == 401
    page = Client()
    page.force_login(User.objects.get(pk=user.pk))  # the epoch has moved on
    response = page.post(reverse("accounts:email_change"), {"action": "sign_out_others"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:email_change")
    assert not ApiToken.objects.filter(user=user).exists()


# --- the pages -------------------------------------------------------------------------


def test_acc3_the_page_walks_the_six_steps(client):
    user = UserFactory()
    old = user.email
    client.force_login(user)
    page = client.get(reverse("accounts:email_change"))
    assert page.status_code == 200 and "Step 1 of 6" in page.content.decode()
    url = reverse("accounts:email_change")
    assert client.post(url, {"action": "start"}).status_code == 302
    assert "Step 2 of 6" in client.get(url).content.decode()
    bad = client.post(url, {"action": "confirm_current", "code": "000000" if last_code_email(old) != "000000"
                            else "111111"})
    assert bad.status_code == 400 and "not right" in bad.content.decode()
    client.post(url, {"action": "confirm_current", "code": last_code_email(old)})
    assert "Step 3 of 6" in client.get(url).content.decode()
    taken = UserFactory(email="someone@example.com")
    refused = client.post(url, {"action": "set_new", "new_email": taken.email})
    assert refused.status_code == 422 and "already used" in refused.content.decode()
    client.post(url, {"action": "set_new", "new_email": NEW})
    assert "Step 5 of 6" in client.get(url).content.decode()
    done = client.post(url, {"action": "confirm_new", "code": last_code_email(NEW)})
    assert done.status_code == 200 and "Step 6 of 6" in done.content.decode()
    assert "Sign out of all other devices" in done.content.decode()
    assert User.objects.get(pk=user.pk).email == NEW


def test_acc3_htmx_posts_get_the_panel_only(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:email_change"), {"action": "start"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="email-change"')
    assert 'for="id_code"' in html


@pytest.mark.parametrize("data", [{"action": "forged"}, {}, {"action": "confirm_new", "code": "123456"},
                                  {"action": "confirm_current", "code": "x" * 5000}])
def test_acc3_forged_or_out_of_order_posts_get_a_clear_answer_not_a_500(client, data):
    client.force_login(UserFactory())
    response = client.post(reverse("accounts:email_change"), data)
    assert 400 <= response.status_code < 500


def test_acc3_the_page_needs_sign_in(client):
    response = client.get(reverse("accounts:email_change"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_acc3_allauth_email_page_leads_to_the_six_steps(client):
    client.force_login(UserFactory())
    response = client.get("/accounts/email/")
    assert response.status_code in (301, 302) and response["Location"] == reverse("accounts:email_change")


# --- the API ---------------------------------------------------------------------------


def _token(client, user) -> dict:
    key = client.post("/api/v1/auth/token", {"email": user.email, "password": PASSWORD},
                      content_type="application/json").json()["token"]
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_acc3_api_six_steps(client):
    user = UserFactory()
    old = user.email
    auth = _token(client, user)

    def post(path, body=None):
        return client.post(f"/api/v1/account/email-change/{path}", body or {},
                           content_type="application/json", **auth)

    assert client.get("/api/v1/account/email-change", **auth).json()["step"] == "none"
    assert post("start").json()["step_number"] == 2
    assert post("new", {"new_email": NEW}).status_code == 409  # no skipping
    wrong_try = post("confirm-current", {"code": wrong(last_code_email(old))})
    assert wrong_try.status_code == 400 and wrong_try.json()["code"] == "code_wrong"
    assert "code" in wrong_try.json()["fields"]
    assert post("confirm-current", {"code": last_code_email(old)}).json()["step_number"] == 3
    taken = post("new", {"new_email": UserFactory().email})
    assert taken.status_code == 422 and "new_email" in taken.json()["fields"]
    assert post("new", {"new_email": NEW}).json()["step_number"] == 5
    done = post("confirm-new", {"code": last_code_email(NEW)})
    assert done.status_code == 200 and done.json() == {
        "step": "done", "step_number": 6, "email": NEW, "new_email": NEW}


@pytest.mark.parametrize("body", [{}, {"code": 123456}, {"code": "123456", "extra": 1}, {"code": None}])
def test_acc3_api_bad_bodies_get_422(client, body):
    user = UserFactory()
    client.force_login(user)
    client.post("/api/v1/account/email-change/start")
    response = client.post("/api/v1/account/email-change/confirm-current", body,
                           content_type="application/json")
    assert response.status_code == 422 and set(response.json()) == {"code", "message", "fields"}


def test_acc3_api_needs_sign_in(client):
    assert client.post("/api/v1/account/email-change/start").status_code == 401


def test_acc3_codes_sent_to_one_person_are_limited_per_window():
    assert policy.codes_per_window == 5
    user = UserFactory()
    ec.email_change_start(user=user, now=T0)
    for _ in range(policy.codes_per_window - 1):
        ec.email_change_resend(user=user, now=T0)
    with pytest.raises(DomainError) as exc:
        ec.email_change_resend(user=user, now=T0 + policy.codes_window - SECOND)
    assert exc.value.code == "too_many_codes" and exc.value.status == 429
    ec.email_change_resend(user=user, now=T0 + policy.codes_window)  # the window has moved on


def test_acc3_page_too_many_codes_is_a_clear_answer(client):
    user = UserFactory()
    client.force_login(user)
    url = reverse("accounts:email_change")
    client.post(url, {"action": "start"})
    for _ in range(policy.codes_per_window - 1):
        client.post(url, {"action": "resend"})
    response = client.post(url, {"action": "resend"})
    assert response.status_code == 429 and "too many codes" in response.content.decode()
