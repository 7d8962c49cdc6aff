"""ACC-5 unusual activity: failed sign-ins limited per account and per address (django-axes); a risky
sign-in (burst of failures, or new device + new country) is held until a phone is verified by SMS code;
while held nothing that moves money or changes the email is possible; the person is emailed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import risk
from accounts.geo import ip_country
from accounts.models import SignInEvent, SignInHold
from core.policy import policy
from tests.accounts.helpers import last_sms_code, wrong
from tests.factories import PASSWORD, AddressFactory, UserFactory
from tests.tasks import run_pending_tasks

pytestmark = pytest.mark.django_db

US, FR, TH = "192.0.2.10", "198.51.100.20", "203.0.113.30"
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0)  # sessions made "at T0" must still be live


def _login(client, email, password, ip="127.0.0.1"):
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _fail(client, email, times, ip="127.0.0.1"):
    for _ in range(times):
        _login(client, email, "not the password", ip=ip)


# --- throttling (django-axes) ------------------------------------------------------------


def test_acc5_brute_force_throttled_after_10_failures_while_other_accounts_still_sign_in(client):
    assert policy.failed_logins_lockout_per_account == 10
    victim, other = UserFactory(), UserFactory()
    with time_machine.travel(T0, tick=False):
        _fail(client, victim.email, 10)
        refused = _login(client, victim.email, PASSWORD)
        assert refused.status_code == 429 and not _signed_in(client)
        assert "Too many failed sign-ins" in refused.content.decode()
        # another account from the same address is not affected
        ok = _login(Client(), other.email, PASSWORD)
        assert ok.status_code == 302
    # after the window the account signs in again
    with time_machine.travel(T0 + policy.failed_login_window + dt.timedelta(seconds=1), tick=False):
        again = Client()
        assert _login(again, victim.email, PASSWORD).status_code == 302 and _signed_in(again)


def test_acc5_nine_failures_do_not_lock_the_account(client):
    user = UserFactory()
    with time_machine.travel(T0, tick=False):
        _fail(client, user.email, 9)
        assert _login(client, user.email, PASSWORD).status_code == 302
        assert _signed_in(client)


def test_acc5_the_lockout_counts_the_email_whatever_its_case(client):
    user = UserFactory()
    with time_machine.travel(T0, tick=False):
        for i in range(10):
            _login(client, user.email.upper() if i % 2 else user.email, "nope")
        assert _login(client, user.email, PASSWORD).status_code == 429


def test_acc5_failures_are_limited_per_address_too():
    limit = policy.failed_logins_per_address
    assert limit == 20
    attacker = Client()
    with time_machine.travel(T0, tick=False):
        for i in range(limit):
            _login(attacker, f"guess{i}@example.com", "nope", ip=TH)
        user = UserFactory()
        assert _login(attacker, user.email, PASSWORD, ip=TH).status_code == 429
        elsewhere = Client()
        assert _login(elsewhere, user.email, PASSWORD, ip=US).status_code == 302


def test_acc5_an_unknown_email_is_locked_like_a_known_one(client):
    """No enumeration through the lockout either (ACC-1)."""
    with time_machine.travel(T0, tick=False):
        _fail(client, "nobody@example.com", 10)
        assert _login(client, "nobody@example.com", "whatever").status_code == 429


# --- risky sign-ins are held ---------------------------------------------------------------


def test_acc5_a_burst_of_failures_then_the_right_password_is_held_and_emailed(client):
    user = UserFactory()
    assert policy.failed_logins_per_account == 5
    with time_machine.travel(T0, tick=False):
        _fail(client, user.email, 5)
        response = _login(client, user.email, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:regain_access")
    assert _signed_in(client) and client.session[risk.SESSION_KEY]
    hold = SignInHold.objects.get(user=user)
    assert hold.reason == risk.REASON_FAILED_BURST
    mail.outbox.clear()
    run_pending_tasks()
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert "paused" in mail.outbox[0].subject + mail.outbox[0].body


def test_acc5_four_failures_then_the_right_password_is_not_held(client):
    user = UserFactory()
    with time_machine.travel(T0, tick=False):
        _fail(client, user.email, 4)
        _login(client, user.email, PASSWORD)
    assert _signed_in(client) and risk.SESSION_KEY not in client.session


def test_acc5_the_ip_country_table_is_local_and_pluggable(settings):
    assert (ip_country(US), ip_country(FR), ip_country(TH), ip_country("127.0.0.1"), ip_country("junk")) == (
        "US", "FR", "TH", "", "")
    settings.IP_COUNTRY_LOOKUP = "tests.accounts.test_acc5_unusual_activity.everywhere_laos"
    assert ip_country(US) == "LA"


def everywhere_laos(ip: str) -> str:
    return "LA"


def test_acc5_new_device_and_new_country_is_held_but_either_alone_is_not():
    user = UserFactory()
    home = Client()
    _login(home, user.email, PASSWORD, ip=US)
    assert _signed_in(home) and risk.SESSION_KEY not in home.session  # first sign-in ever
    device = home.cookies[risk.DEVICE_COOKIE].value
    # the same device abroad: known device → not held
    travelling = Client()
    travelling.cookies[risk.DEVICE_COOKIE] = device
    _login(travelling, user.email, PASSWORD, ip=FR)
    assert risk.SESSION_KEY not in travelling.session
    # a new device at home (US, known country) → not held
    _login(Client(), user.email, PASSWORD, ip=US)
    assert not SignInHold.objects.exists()
    # a new device in a new country → held
    stranger = Client()
    response = _login(stranger, user.email, PASSWORD, ip=TH)
    assert response["Location"] == reverse("accounts:regain_access")
    assert SignInHold.objects.get(user=user).reason == risk.REASON_NEW_DEVICE_COUNTRY
    assert SignInEvent.objects.filter(user=user).count() == 4


@pytest.fixture
def held(client):
    """A signed-in, held session (burst of failures), and its user with a phone on file."""
    user = UserFactory()
    AddressFactory(user=user, phone="+1 651 555 0100")
    with time_machine.travel(T0, tick=False):
        _fail(client, user.email, 5)
        _login(client, user.email, PASSWORD)
    assert client.session.get(risk.SESSION_KEY)
    return client, user


GUARDED_POSTS = [
    ("checkout pay page", "/checkout/999999/pay/", {}),
    ("checkout pay API (card, methods, balance)", "/api/v1/checkout/999999/pay", {"token": "tok_success"}),
    ("simulated card page", "/pay/sim/card/", {}),
    ("save a card", "/account/cards/add/", {}),
    ("buyer asks a refund: cancel a paid order", "/orders/T00000001/request-cancellation/", {"reason": "x"}),
    ("buyer asks a refund: cancel API", "/api/v1/orders/T00000001/cancellation-request", {"reason": "x"}),
    ("buyer asks a refund: open a dispute API", "/api/v1/orders/T00000001/dispute", {}),
    ("change email page", "/account/email/", {"action": "start"}),
    ("change email API", "/api/v1/account/email-change/start", {}),
    ("change email API, new address", "/api/v1/account/email-change/new", {"new_email": "x@example.com"}),
]


@pytest.mark.parametrize(("what", "path", "body"), GUARDED_POSTS, ids=[g[0] for g in GUARDED_POSTS])
def test_acc5_held_sign_in_blocks_money_and_email_actions(held, what, path, body):
    client, _user = held
    if path.startswith("/api/"):
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 403 and response.json()["code"] == "sign_in_held", what
    else:
        response = client.post(path, body)
        assert response.status_code == 403, what
        assert reverse("accounts:regain_access") in response.content.decode()


@pytest.mark.parametrize(("what", "path", "body"), GUARDED_POSTS, ids=[g[0] for g in GUARDED_POSTS])
def test_acc5_the_same_actions_pass_the_guard_when_not_held(client, what, path, body):
    """The control: the guard alone made the difference above."""
    client.force_login(UserFactory())
    if path.startswith("/api/"):
        response = client.post(path, body, content_type="application/json")
        assert response.status_code != 403 or response.json()["code"] != "sign_in_held", what
    else:
        assert client.post(path, body).status_code != 403, what


def test_acc5_every_guarded_view_exists():
    """A renamed view would silently escape the guard: every name must still be in the URLconf."""
    from django.urls import get_resolver

    from accounts.guards import GUARDED_VIEWS

    names: set[str] = set()

    def walk(resolver, prefix=""):
        for entry in resolver.url_patterns:
            if hasattr(entry, "url_patterns"):
                walk(entry, prefix + (f"{entry.namespace}:" if entry.namespace else ""))
            elif entry.name:
                names.add(prefix + entry.name)

    walk(get_resolver())
    assert not GUARDED_VIEWS - names, sorted(GUARDED_VIEWS - names)


def test_acc5_held_sign_in_still_reads_pages(held):
    client, _user = held
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert client.get("/orders/").status_code == 200


def test_acc5_a_bearer_token_is_held_while_its_account_has_an_open_hold(held):
    client, user = held
    key = Client().post("/api/v1/auth/token", {"email": user.email, "password": PASSWORD},
                        content_type="application/json").json()["token"]
    response = Client().post("/api/v1/checkout/999999/pay", {"token": "tok_success"},
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403 and response.json()["code"] == "sign_in_held"


def test_acc5_regain_access_by_sms_code_lifts_the_hold(held):
    client, user = held
    page = client.get(reverse("accounts:regain_access"))
    assert page.status_code == 200 and "••• ••• 0100" in page.content.decode()
    url = reverse("accounts:regain_access")
    not_mine = client.post(url, {"action": "send", "phone": "+33 1 23 45 67 89"})
    assert not_mine.status_code == 422 and "saved on your account" in not_mine.content.decode()
    sent = client.post(reverse("accounts:regain_access"), {"action": "send", "phone": "(651) 555-0100"})
    assert sent.status_code == 302
    code = last_sms_code()
    bad = client.post(reverse("accounts:regain_access"), {"action": "verify", "code": wrong(code)})
    assert bad.status_code == 422 and "not right" in bad.content.decode()
    ok = client.post(reverse("accounts:regain_access"), {"action": "verify", "code": code})
    assert ok.status_code == 302
    assert SignInHold.objects.get(user=user).released_at is not None
    assert risk.SESSION_KEY not in client.session
    # the guard lets the action through now (to the endpoint, which judges the request itself)
    after = client.post("/api/v1/checkout/999999/pay", {"token": "tok_success"},
                        content_type="application/json")
    assert after.status_code != 403 and after.json()["code"] != "sign_in_held"


def test_acc5_sms_code_tries_are_exhausted(held):
    client, _user = held
    client.post(reverse("accounts:regain_access"), {"action": "send", "phone": "+1 651 555 0100"})
    code = last_sms_code()
    for _ in range(policy.sms_code_attempts):
        client.post(reverse("accounts:regain_access"), {"action": "verify", "code": wrong(code)})
    late = client.post(reverse("accounts:regain_access"), {"action": "verify", "code": code})
    assert late.status_code == 422 and "Too many wrong codes" in late.content.decode()
    assert SignInHold.objects.get().released_at is None


def test_acc5_sms_code_expires(held):
    client, user = held
    hold = SignInHold.objects.get(user=user)
    risk.regain_access_send_code(user=user, hold=hold, phone="+1 651 555 0100", now=T0)
    code = last_sms_code()
    from core.errors import DomainError

    with pytest.raises(DomainError) as late:
        risk.regain_access_verify(user=user, hold=hold, code=code, now=T0 + policy.sms_code_lifetime)
    assert late.value.code == "code_expired"
    risk.regain_access_send_code(user=user, hold=hold, phone="+1 651 555 0100", now=T0)
    fresh = last_sms_code()
    risk.regain_access_verify(user=user, hold=hold, code=fresh,
                              now=T0 + policy.sms_code_lifetime - dt.timedelta(seconds=1))


def test_acc5_regain_access_api(held):
    client, _user = held
    assert client.get("/api/v1/account/regain-access").json() == {"held": True}
    bad = client.post("/api/v1/account/regain-access/code", {"phone": "abc"}, content_type="application/json")
    assert bad.status_code == 422 and "phone" in bad.json()["fields"]
    sent = client.post("/api/v1/account/regain-access/code", {"phone": "+1 651 555 0100"},
                       content_type="application/json")
    assert sent.status_code == 200 and sent.json()["sent_to"].endswith("0100")
    ok = client.post("/api/v1/account/regain-access/verify", {"code": last_sms_code()},
                     content_type="application/json")
    assert ok.json() == {"held": False}
    assert client.get("/api/v1/account/regain-access").json() == {"held": False}


def test_acc5_without_a_phone_on_file_the_phone_given_is_verified(client):
    user = UserFactory()
    with time_machine.travel(T0, tick=False):
        _fail(client, user.email, 5)
        _login(client, user.email, PASSWORD)
    client.post(reverse("accounts:regain_access"), {"action": "send", "phone": "+856 20 5555 1234"})
    code = last_sms_code("8562055551234")
    client.post(reverse("accounts:regain_access"), {"action": "verify", "code": code})
    assert SignInHold.objects.get(user=user).verified_phone == "+856 20 5555 1234"


def test_acc5_the_sms_backends_are_pluggable(settings, tmp_path):
    from accounts import sms

    settings.SMS_BACKEND = "accounts.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    sms.sms_send(to="+1 555", body="hello")
    assert '"hello"' in (tmp_path / "sms.log").read_text()


def test_acc5_server_side_authentication_without_a_request_still_works(client):
    """django-axes needs a request to count; code without one (the test client's login) is not broken."""
    user = UserFactory()
    assert client.login(email=user.email, password=PASSWORD)


def test_acc5_a_locked_out_api_sign_in_gets_the_one_error_shape(client):
    user = UserFactory()
    with time_machine.travel(T0, tick=False):
        _fail(client, user.email, 10)
        response = client.post("/api/v1/auth/token", {"email": user.email, "password": PASSWORD},
                               content_type="application/json")
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    assert set(response.json()) == {"code", "message", "fields"}


# --- the API token is a sign-in too -------------------------------------------------------


def _token(client, email, password, **extra):
    return client.post("/api/v1/auth/token", {"email": email, "password": password},
                       content_type="application/json", **extra)


def test_acc5_a_token_after_a_burst_of_failures_is_held_and_cannot_pay(client):
    user = UserFactory()
    AddressFactory(user=user)
    with time_machine.travel(T0, tick=False):
        for _ in range(policy.failed_logins_per_account):
            assert _token(client, user.email, "not the password").status_code == 401
        issued = _token(client, user.email, PASSWORD)
    assert issued.status_code == 200 and issued.json()["held"] is True
    assert SignInHold.objects.filter(user=user, released_at__isnull=True).count() == 1
    run_pending_tasks()
    assert any(user.email in m.to and "paused" in m.subject for m in mail.outbox)
    bearer = f"Bearer {issued.json()['token']}"
    paid = Client().post("/api/v1/checkout/999999/pay", {"token": "tok_success"},
                         content_type="application/json", HTTP_AUTHORIZATION=bearer)
    assert paid.status_code == 403 and paid.json()["code"] == "sign_in_held"


def test_acc5_a_token_from_a_new_device_in_a_new_country_is_held_but_not_from_home(client, settings):
    settings.IP_COUNTRY_LOOKUP = "accounts.geo.table_lookup"
    user = UserFactory()
    with time_machine.travel(T0, tick=False):
        home = _token(Client(), user.email, PASSWORD, REMOTE_ADDR=US)
        again = _token(Client(), user.email, PASSWORD, REMOTE_ADDR=US)
        abroad = _token(Client(), user.email, PASSWORD, REMOTE_ADDR=TH)
    assert (home.json()["held"], again.json()["held"], abroad.json()["held"]) == (False, False, True)
    assert list(SignInEvent.objects.filter(user=user).order_by("pk").values_list("country", flat=True)) == [
        ip_country(US), ip_country(US), ip_country(TH)]


def test_acc5_token_failures_count_with_the_form_failures_of_the_same_account(client):
    """One django-axes counter for the form and the API: 5 + 5 failures lock the account out."""
    user = UserFactory()
    with time_machine.travel(T0, tick=False):
        _fail(client, user.email, 5)
        for _ in range(5):
            _token(client, user.email, "not the password")
        refused = _token(client, user.email, PASSWORD)
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"


# --- the client address behind reverse proxies ---------------------------------------------


def test_acc5_behind_a_proxy_the_forwarded_address_is_counted_and_cannot_be_forged(settings, rf):
    from accounts.axes_policy import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"6.6.6.6, {TH}")
    assert client_ip(request) == "10.0.0.2"  # no header configured: the header is not believed
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == TH  # the address our proxy saw, not the one the client wrote
    from allauth.account.adapter import get_adapter

    assert get_adapter().get_client_ip(request) == TH  # allauth's own rate limits count the same
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"  # the header's own spelling works too
    assert client_ip(request) == "6.6.6.6"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="junk")) == "10.0.0.2"


def test_acc5_behind_a_proxy_failures_are_limited_per_real_client_address(settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    users = [UserFactory() for _ in range(4)]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    with time_machine.travel(T0, tick=False):
        attacker = Client()
        for user in users[:3]:  # 30 failures from one client: its address is past its limit (20)
            for _ in range(10):
                attacker.post(reverse("account_login"), {"login": user.email, "password": "x"},
                              HTTP_X_FORWARDED_FOR=TH, **proxy)
        blocked = attacker.post(reverse("account_login"), {"login": users[3].email, "password": PASSWORD},
                                HTTP_X_FORWARDED_FOR=TH, **proxy)
        other = Client().post(reverse("account_login"), {"login": users[3].email, "password": PASSWORD},
                              HTTP_X_FORWARDED_FOR=US, **proxy)
    assert blocked.status_code == 429
    assert other.status_code == 302  # same proxy, another client: not locked out
