"""The one guard of a held sign-in (ACC-5).

While the session's sign-in is held (accounts.risk), nothing that moves money
(creating or paying a checkout — coupons, refund coupons, card, saved card, the
balance —, saving or removing a card, a refund the buyer asks for, giving money up
to a seller, a seller's or the staff's refund decisions), changes the email, mints
an API token, or changes payout details is possible. `HeldSignInGuard`
(a middleware) refuses the state-changing requests to the views named in
`GUARDED_VIEWS`, pages and API alike: a page answers 403 with the way out (the
"regain access" page), the API its one error shape with code "sign_in_held".
Views that need the check inline call `hold_check(request)`.

A request with an API bearer token is held while its account has any open hold,
so a token cannot be used to step around a held sign-in.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from accounts import risk
from core.errors import NotAllowed

# Views (namespace:name, as django.urls.resolve names them) that move money or change the
# email or payout details: the one list (ACC-5). Other areas add theirs here (one line each);
# tests/accounts/test_acc5_guard_coverage.py has one row per name and fails on a missing one.
# ninja names a path after its first operation: a POST sharing a path with a GET resolves under
# the GET's name (e.g. POST /orders/{n}/dispute is "order_dispute"); reads are never guarded.
GUARDED_VIEWS: set[str] = {
    # checkout: spending coupons, refund coupons and the balance (creating it), paying (card,
    # saved card, other methods, the platform balance)
    "checkout:start",
    "api-v1:checkout_create",
    "checkout:pay",
    "api-v1:checkout_pay",
    "payments:sim_card",
    # saved cards
    "payments:card_add",
    "payments:card_remove",
    # refunds the buyer asks for: cancellation, disputes, warranty, Free Return
    "orders:request_cancellation",
    "api-v1:order_request_cancellation",
    "order_disputes:open",
    "api-v1:order_dispute",
    "order_disputes:warranty",
    "api-v1:warranty_open",
    "disputes:update",
    "api-v1:dispute_update",
    "disputes:accept_counter",
    "api-v1:dispute_accept_counter",
    "returns:start",
    "api-v1:order_returns",
    # giving money up to the seller: confirming receipt (protection ends), withdrawing a dispute
    "orders:confirm_receipt",
    "api-v1:order_confirm_receipt",
    "disputes:withdraw",
    "api-v1:dispute_withdraw",
    # documents that let a held-back payment proceed (appeals)
    "appeals:detail",
    "api-v1:appeal_documents",
    # sellers paying back: agreeing to a dispute, accepting a cancellation
    "seller_disputes:agree",
    "api-v1:dispute_agree",
    "seller_disputes:confirm_return",  # confirming the returned goods releases the refund (DSP-3)
    "api-v1:return_receipt",
    "seller_orders:cancellation",
    "api-v1:seller_cancellation_answer",
    # staff moving money: refunds, dispute, return and appeal decisions
    "backoffice_refunds:refund",
    "backoffice_disputes:decide",
    "api-v1:team_decide",
    "backoffice_returns:inspect",
    "backoffice_appeals:decide",
    # email change (ACC-3), allauth's own email page included
    "accounts:email_change",
    "account_email",
    "api-v1:email_change_start",
    "api-v1:email_change_resend",
    "api-v1:email_change_confirm_current",
    "api-v1:email_change_new",
    "api-v1:email_change_confirm_new",
    # a new API token would step around the held session
    "api-v1:token_create",
    # payout details: the project has no payout settings page yet; its views go here when it does.
}
# (view name, method) pairs that share a guarded view's path but are safe while held.
NOT_GUARDED: set[tuple[str, str]] = {
    ("api-v1:token_create", "DELETE"),  # revoking a token (DELETE /auth/token) is always allowed
}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def held_message() -> str:
    return _(
        "For your safety this sign-in is paused: payments, refunds, saved cards and email changes are "
        "not possible until you confirm your phone number on the regain access page."
    )


def request_is_held(request: HttpRequest) -> bool:
    """Whether this request comes from a held sign-in (session) or an account with an open hold (token).

    Both are checked: a held session that also sends an Authorization header (a made-up token, or
    a token of another account) is still held.
    """
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        from accounts.models import ApiToken

        key = auth[7:].strip()
        token = ApiToken.objects.filter(key_hash=ApiToken.hash_key(key)).only("user_id").first() if (
            0 < len(key) <= 200) else None
        if token is not None and risk.user_has_open_hold(user=token.user):
            return True
    session = getattr(request, "session", None)
    if session is None:
        return False
    hold_id = session.get(risk.SESSION_KEY)
    if hold_id is None:
        return False
    if risk.hold_open(hold_id=hold_id) is None:
        session.pop(risk.SESSION_KEY, None)  # released (here or on another device)
        return False
    return True


def hold_check(request: HttpRequest) -> None:
    """Raise NotAllowed (code sign_in_held) when the request's sign-in is held."""
    if request_is_held(request):
        raise NotAllowed(held_message(), code="sign_in_held")


class HeldSignInGuard:
    """Refuse guarded, state-changing requests of a held sign-in; set the device cookie after sign-in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in SAFE_METHODS and self._guarded(request) and request_is_held(request):
            return self._refuse(request)
        response = self.get_response(request)
        device_id = getattr(request, "acc5_new_device_id", None)
        if device_id:
            response.set_cookie(
                risk.DEVICE_COOKIE, device_id, max_age=400 * 86400, httponly=True, samesite="Lax",
                secure=request.is_secure(),
            )
        return response

    @staticmethod
    def _guarded(request: HttpRequest) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in GUARDED_VIEWS and (match.view_name, request.method) not in NOT_GUARDED

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return JsonResponse({"code": "sign_in_held", "message": held_message(), "fields": {}}, status=403)
        return render(request, "accounts/held.html", {
            "message": held_message(), "regain_url": reverse("accounts:regain_access"),
        }, status=403)
