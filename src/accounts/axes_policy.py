"""django-axes reads its limits from core.policy (ACC-5), so HMONG_POLICY overrides them too.

Failures are counted per account (the email typed) and per client address:
`AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]`. One account is refused
after policy.failed_logins_lockout_per_account failures, one address after
policy.failed_logins_per_address, each within policy.failed_login_window; other
accounts from the same address still sign in until the address's own limit.
"""

from __future__ import annotations

import ipaddress

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum

from core.policy import policy


def client_ip(request) -> str:
    """The client's address, the one every limit and risk check counts (AXES_CLIENT_IP_CALLABLE).

    Without settings.CLIENT_IP_HEADER it is REMOTE_ADDR. Behind reverse proxies, set
    CLIENT_IP_HEADER (e.g. "HTTP_X_FORWARDED_FOR") and TRUSTED_PROXY_COUNT, the number of
    proxies of ours that append to that header: the address the outermost of them saw is
    taken, counted from the right, so a client cannot choose its address by sending the
    header itself. An unusable header falls back to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    header = str(getattr(settings, "CLIENT_IP_HEADER", "") or "").strip()
    if header and not header.startswith("HTTP_"):  # "X-Forwarded-For" as written on the wire
        header = "HTTP_" + header.upper().replace("-", "_")
    if header:
        hops = [hop.strip() for hop in str(request.META.get(header, "")).split(",") if hop.strip()]
        count = max(1, int(getattr(settings, "TRUSTED_PROXY_COUNT", 1)))
        if len(hops) >= count:
            try:
                return str(ipaddress.ip_address(hops[-count]))
            except ValueError:
                pass
    return remote


def failure_limit(request, credentials) -> int:
    return policy.failed_logins_lockout_per_account


def cooloff_time(request=None):
    return policy.failed_login_window


def username_from(request, credentials) -> str:
    """The account a sign-in attempt is for: the email typed, compared case-insensitively."""
    value = ""
    if credentials:
        value = credentials.get("email") or credentials.get("username") or credentials.get("login") or ""
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login", "")
    return value.strip().lower()[:255] if isinstance(value, str) else ""


class PolicyAxesHandler(AxesDatabaseHandler):
    """Axes' database handler with separate limits for an account and for an address.

    Axes compares one number with one limit; this handler reports the account's
    failures, or the account limit itself once the address is past its own limit.
    """

    def get_failures(self, request, credentials=None) -> int:
        by_account, by_address = (
            qs.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for qs in self.get_user_attempts(request, credentials)
        )
        if by_address >= policy.failed_logins_per_address:
            return max(by_account, policy.failed_logins_lockout_per_account)
        return by_account


class AxesBackend(AxesStandaloneBackend):
    """Axes' check before the password backends; a call without a request (server-side code, the test
    client's ``login()``) has no address to count and is left to the other backends."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a locked-out sign-in: the API's one error shape, or the page (status 429)."""
    from django.http import JsonResponse
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    message = _("Too many failed sign-ins. Wait a while and try again, or choose a new password.")
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": "rate_limited", "message": message, "fields": {}}, status=429)
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)
