"""The one guard of a held sign-in (ACC-5).

While the session's sign-in is held (accounts.risk), nothing that moves money
(paying a checkout — card or balance —, saving a card, a refund the buyer asks
for), changes the email, or changes payout details is possible. `HeldSignInGuard`
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
# email or payout details. Other areas add theirs here (one line each).
GUARDED_VIEWS: set[str] = {
    # checkout: paying (card, other methods, the platform balance)
    "checkout:pay",
    "api-v1:checkout_pay",
    "payments:sim_card",
    # saved cards
    "payments:card_add",
    # refunds the buyer asks for
    "orders:request_cancellation",
    "api-v1:order_request_cancellation",
    # ninja names a path after its first operation: POST /orders/{n}/dispute (dispute_open)
    # resolves as order_dispute, the GET of the same path (reads are never guarded)
    "api-v1:order_dispute",
    "api-v1:warranty_open",
    "api-v1:dispute_update",
    "api-v1:dispute_accept_counter",
    # email change (ACC-3)
    "accounts:email_change",
    "api-v1:email_change_start",
    "api-v1:email_change_resend",
    "api-v1:email_change_confirm_current",
    "api-v1:email_change_new",
    "api-v1:email_change_confirm_new",
    # payout details: the project has no payout settings page yet; its views go here when it does.
}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def held_message() -> str:
    return _(
        "For your safety this sign-in is paused: payments, refunds, saved cards and email changes are "
        "not possible until you confirm your phone number on the regain access page."
    )


def request_is_held(request: HttpRequest) -> bool:
    """Whether this request comes from a held sign-in (session) or an account with an open hold (token)."""
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        from accounts.models import ApiToken

        key = auth[7:].strip()
        token = ApiToken.objects.filter(key_hash=ApiToken.hash_key(key)).only("user_id").first() if (
            0 < len(key) <= 200) else None
        return token is not None and risk.user_has_open_hold(user=token.user)
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
        return match.view_name in GUARDED_VIEWS

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return JsonResponse({"code": "sign_in_held", "message": held_message(), "fields": {}}, status=403)
        return render(request, "accounts/held.html", {
            "message": held_message(), "regain_url": reverse("accounts:regain_access"),
        }, status=403)
