"""Account security API (on the accounts router, /api/v1/): change email (ACC-3), sign out other
sessions, regain access (ACC-5), find the account of an order (ACC-6).

Thin over accounts.email_change, accounts.risk and accounts.order_lookup; errors in the
one shape of core.api_errors. A held sign-in gets 403 "sign_in_held" from the guard.
"""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema, Status

from accounts import email_change as ec
from accounts import order_lookup, risk
from accounts.api import StrictIn, _client_ip, router
from accounts.guards import hold_check
from accounts.models import EmailChange, SignInHold
from core.clock import now
from core.errors import Conflict
from core.schemas import ErrorOut

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut,
          429: ErrorOut}
STEP_NUMBER = {
    EmailChange.Step.CURRENT_CODE_SENT: 2, EmailChange.Step.CURRENT_VERIFIED: 3,
    EmailChange.Step.NEW_CODE_SENT: 5, EmailChange.Step.DONE: 6,
}


class EmailChangeOut(Schema):
    step: str
    step_number: int
    email: str
    new_email: str = ""


class CodeIn(StrictIn):
    code: str


class NewEmailIn(StrictIn):
    new_email: str


class PhoneIn(StrictIn):
    phone: str


class SentOut(Schema):
    sent_to: str


class OrderAccountIn(StrictIn):
    number: str
    name: str
    postcode: str


class OrderCodeIn(StrictIn):
    number: str


class OrderCodeCheckIn(StrictIn):
    number: str
    code: str


class LoginOut(Schema):
    login: str


class HoldOut(Schema):
    held: bool


def _out(request: HttpRequest, run: EmailChange | None) -> dict:
    if run is None:
        return {"step": "none", "step_number": 1, "email": request.user.email, "new_email": ""}
    return {"step": run.step, "step_number": STEP_NUMBER.get(run.step, 1), "email": request.user.email,
            "new_email": run.new_email}


@router.get("/account/email-change", response={200: EmailChangeOut, **ERRORS},
            summary=_("Where my email change is (ACC-3)"))
def email_change_status(request: HttpRequest):
    return Status(200, _out(request, ec.email_change_current(user=request.user)))


@router.post("/account/email-change/start", response={200: EmailChangeOut, **ERRORS},
             summary=_("Step 1: send a code to my current address (ACC-3)"))
def email_change_start(request: HttpRequest):
    hold_check(request)
    return Status(200, _out(request, ec.email_change_start(user=request.user, now=now())))


@router.post("/account/email-change/resend", response={200: EmailChangeOut, **ERRORS},
             summary=_("Send a new code for the current step (ACC-3)"))
def email_change_resend(request: HttpRequest):
    hold_check(request)
    return Status(200, _out(request, ec.email_change_resend(user=request.user, now=now())))


@router.post("/account/email-change/confirm-current", response={200: EmailChangeOut, **ERRORS},
             summary=_("Step 2: the code from my current address (ACC-3)"))
def email_change_confirm_current(request: HttpRequest, payload: CodeIn):
    hold_check(request)
    run = ec.email_change_confirm_current(user=request.user, code=payload.code, now=now())
    return Status(200, _out(request, run))


@router.post("/account/email-change/new", response={200: EmailChangeOut, **ERRORS},
             summary=_("Steps 3-4: the new address; a code is sent there (ACC-3)"))
def email_change_new(request: HttpRequest, payload: NewEmailIn):
    hold_check(request)
    run = ec.email_change_set_new(user=request.user, new_email=payload.new_email, now=now())
    return Status(200, _out(request, run))


@router.post("/account/email-change/confirm-new", response={200: EmailChangeOut, **ERRORS},
             summary=_("Steps 5-6: the code from the new address; the email changes (ACC-3)"))
def email_change_confirm_new(request: HttpRequest, payload: CodeIn):
    hold_check(request)
    run = ec.email_change_confirm_new(user=request.user, code=payload.code, now=now())
    return Status(200, _out(request, run))


@router.post("/account/sessions/sign-out-others", response={204: None, **ERRORS},
             summary=_("End every other session of my account (ACC-3)"))
def sessions_sign_out_others(request: HttpRequest):
    user = ec.user_sign_out_other_sessions(user=request.user, keep_token=getattr(request, "api_token", None))
    if hasattr(request, "session") and getattr(request, "api_token", None) is None:
        update_session_auth_hash(request, user)
    return Status(204, None)


def _hold_for(request: HttpRequest) -> SignInHold:
    hold = None
    if getattr(request, "api_token", None) is None and hasattr(request, "session"):
        hold = risk.hold_open(hold_id=request.session.get(risk.SESSION_KEY))
    else:
        hold = SignInHold.objects.filter(user=request.user, released_at__isnull=True).order_by("-pk").first()
    if hold is None:
        raise Conflict(_("Nothing is paused on this sign-in."), code="not_held")
    return hold


@router.get("/account/regain-access", response={200: HoldOut, **ERRORS},
            summary=_("Whether this sign-in is held (ACC-5)"))
def regain_access_status(request: HttpRequest):
    from accounts.guards import request_is_held

    return Status(200, {"held": request_is_held(request)})


@router.post("/account/regain-access/code", response={200: SentOut, **ERRORS},
             summary=_("Text a code to my phone to lift the hold (ACC-5)"))
def regain_access_code(request: HttpRequest, payload: PhoneIn):
    hold = _hold_for(request)
    masked = risk.regain_access_send_code(user=request.user, hold=hold, phone=payload.phone, now=now())
    return Status(200, {"sent_to": masked})


@router.post("/account/regain-access/verify", response={200: HoldOut, **ERRORS},
             summary=_("The SMS code: the hold is lifted (ACC-5)"))
def regain_access_verify(request: HttpRequest, payload: CodeIn):
    hold = _hold_for(request)
    risk.regain_access_verify(user=request.user, hold=hold, code=payload.code, now=now())
    if hasattr(request, "session"):
        request.session.pop(risk.SESSION_KEY, None)
    return Status(200, {"held": False})


@router.post("/auth/find-account", auth=None, response={200: LoginOut, **ERRORS},
             summary=_("The masked sign-in email of an order's buyer, by name and postal code (ACC-6)"))
def find_account(request: HttpRequest, payload: OrderAccountIn):
    login = order_lookup.order_account_find(
        number=payload.number, name=payload.name, postcode=payload.postcode, ip=_client_ip(request))
    return Status(200, {"login": login})


@router.post("/auth/find-account/code", auth=None, response={200: SentOut, **ERRORS},
             summary=_("Text a code to the phone on the order (ACC-6)"))
def find_account_code(request: HttpRequest, payload: OrderCodeIn):
    masked = order_lookup.order_lookup_send_code(number=payload.number, ip=_client_ip(request), now=now())
    return Status(200, {"sent_to": masked})


@router.post("/auth/find-account/verify", auth=None, response={200: LoginOut, **ERRORS},
             summary=_("The masked sign-in email of an order's buyer, by the SMS code (ACC-6)"))
def find_account_verify(request: HttpRequest, payload: OrderCodeCheckIn):
    login = order_lookup.order_account_find_by_code(
        number=payload.number, code=payload.code, ip=_client_ip(request), now=now())
    return Status(200, {"login": login})
