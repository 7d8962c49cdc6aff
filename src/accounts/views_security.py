"""Account security pages: change email (ACC-3), regain access (ACC-5), find the account of an order (ACC-6).

Each view parses the form, calls one service and renders the result; htmx posts
get the refreshed panel only.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import email_change as ec
from accounts import order_lookup, risk
from accounts.guards import hold_check
from accounts.models import EmailChange
from accounts.sms import phone_mask
from core.clock import now
from core.errors import DomainError
from core.policy import policy

Step = EmailChange.Step


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"), max_length=12, strip=True,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                      "pattern": "[0-9]*", "required": True}),
    )


class NewEmailForm(forms.Form):
    new_email = forms.CharField(
        label=gettext_lazy("New email address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "required": True}),
    )


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Phone number"), max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "required": True}),
    )


class OrderLookupForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Order number"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Buyer's name, as on the order"), max_length=160,
                           required=False)
    postcode = forms.CharField(label=gettext_lazy("Shipping postal code"), max_length=20, required=False)
    code = forms.CharField(label=gettext_lazy("Code from the text message"), max_length=12, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                         "autocomplete": "one-time-code"}))


def _add_errors(form: forms.Form, exc: DomainError, default_field: str | None = None) -> None:
    placed = False
    for name, texts in (exc.fields or {}).items():
        for text in texts:
            form.add_error(name if name in form.fields else None, text)
            placed = True
    if not placed:
        form.add_error(default_field if default_field in form.fields else None, exc.message)


def _step_number(run: EmailChange | None) -> int:
    return {None: 1, Step.CURRENT_CODE_SENT: 2, Step.CURRENT_VERIFIED: 3, Step.NEW_CODE_SENT: 5}.get(
        run.step if run else None, 1)


def _email_context(request: HttpRequest, *, form: forms.Form | None = None, done: bool = False) -> dict:
    run = ec.email_change_current(user=request.user)
    if form is None:
        if run and run.step in (Step.CURRENT_CODE_SENT, Step.NEW_CODE_SENT):
            form = CodeForm()
        elif run and run.step == Step.CURRENT_VERIFIED:
            form = NewEmailForm()
    return {
        "run": run, "form": form, "done": done, "step": 6 if done else _step_number(run),
        "section": "email", "lifetime_minutes": int(policy.email_change_code_lifetime.total_seconds() // 60),
        "attempts": policy.email_change_code_attempts, "digits": policy.email_change_code_digits,
        "held": risk.SESSION_KEY in request.session,
    }


def _render_email(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    template = "accounts/_email_change_panel.html" if request.htmx else "accounts/email_change.html"
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    """The six steps of ACC-3 on one page; `action` says which step a post is."""
    if request.method == "GET":
        return _render_email(request, _email_context(request, done=bool(request.GET.get("done"))))
    action = request.POST.get("action", "")
    user, at = request.user, now()
    form: forms.Form | None = None
    try:
        hold_check(request)  # ACC-5 (the guard middleware also refuses these posts)
        if action == "start":
            ec.email_change_start(user=user, now=at)
        elif action == "resend":
            ec.email_change_resend(user=user, now=at)
            messages.info(request, _("We sent a new code. The previous one no longer works."))
        elif action == "cancel":
            ec.email_change_cancel(user=user, now=at)
        elif action == "confirm_current":
            form = CodeForm(request.POST)
            if form.is_valid():
                ec.email_change_confirm_current(user=user, code=form.cleaned_data["code"], now=at)
                form = None
        elif action == "set_new":
            form = NewEmailForm(request.POST)
            if form.is_valid():
                ec.email_change_set_new(user=user, new_email=form.cleaned_data["new_email"], now=at)
                form = None
        elif action == "confirm_new":
            form = CodeForm(request.POST)
            if form.is_valid():
                ec.email_change_confirm_new(user=user, code=form.cleaned_data["code"], now=at)
                return _render_email(request, _email_context(request, done=True))
        elif action == "sign_out_others":
            ec.user_sign_out_other_sessions(user=user)
            update_session_auth_hash(request, user)
            messages.success(request, _("You are signed out on every other device."))
            return redirect("accounts:email_change")
        else:
            raise DomainError(_("Choose one of the buttons on the page."), code="unknown_action")
    except DomainError as exc:
        if form is None:
            run = ec.email_change_current(user=user)
            form = NewEmailForm(request.POST) if run and run.step == Step.CURRENT_VERIFIED else (
                CodeForm(request.POST) if run else None)
            if form is not None:
                form.is_valid()
        context = _email_context(request, form=form)
        context["error"] = exc.message
        if form is not None:
            _add_errors(form, exc, "code" if "code" in form.fields else "new_email")
        return _render_email(request, context, status=exc.status if exc.status < 500 else 400)
    status = 422 if form is not None and form.errors else 200
    if status == 200 and not request.htmx:
        return redirect("accounts:email_change")
    context = _email_context(request, form=form if status == 422 else None)
    return _render_email(request, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def regain_access(request: HttpRequest) -> HttpResponse:
    """ACC-5: confirm a phone number by SMS code to lift the hold on this sign-in."""
    hold = risk.hold_open(hold_id=request.session.get(risk.SESSION_KEY))
    phones = [phone_mask(p) for p in risk.phones_on_file(user=request.user)]
    context: dict = {"hold": hold, "phones": phones, "section": "security",
                     "phone_form": PhoneForm(), "code_form": CodeForm(),
                     "code_sent_to": request.session.get("acc5_code_sent_to", "")}
    if hold is None:
        request.session.pop(risk.SESSION_KEY, None)
        return render(request, "accounts/regain_access.html", context)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "send":
                context["phone_form"] = form = PhoneForm(request.POST)
                if form.is_valid():
                    masked = risk.regain_access_send_code(
                        user=request.user, hold=hold, phone=form.cleaned_data["phone"], now=now())
                    request.session["acc5_code_sent_to"] = masked
                    return redirect("accounts:regain_access")
            elif action == "verify":
                context["code_form"] = form = CodeForm(request.POST)
                if form.is_valid():
                    risk.regain_access_verify(user=request.user, hold=hold, code=form.cleaned_data["code"],
                                              now=now())
                    request.session.pop(risk.SESSION_KEY, None)
                    request.session.pop("acc5_code_sent_to", None)
                    messages.success(request, _("Thank you. Your account is fully available again."))
                    return redirect("accounts:profile")
            else:
                raise DomainError(_("Choose one of the buttons on the page."), code="unknown_action")
        except DomainError as exc:
            target = context["code_form"] if action == "verify" else context["phone_form"]
            _add_errors(target, exc, "code" if action == "verify" else "phone")
        return render(request, "accounts/regain_access.html", context, status=422)
    return render(request, "accounts/regain_access.html", context)


def _client_ip(request: HttpRequest) -> str:
    from accounts.axes_policy import client_ip

    return client_ip(request) or "unknown"


@require_http_methods(["GET", "POST"])
def order_account(request: HttpRequest) -> HttpResponse:
    """ACC-6: order number + name and postal code (or an SMS code) → the masked sign-in email."""
    form = OrderLookupForm(request.POST if request.method == "POST" else None)
    context: dict = {"form": form, "login": "", "code_sent_to": ""}
    if request.method == "POST":
        action = request.POST.get("action", "match")
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "send_code":
                    context["code_sent_to"] = order_lookup.order_lookup_send_code(
                        number=data["number"], ip=_client_ip(request), now=now())
                elif action == "code":
                    context["login"] = order_lookup.order_account_find_by_code(
                        number=data["number"], code=data["code"], ip=_client_ip(request), now=now())
                else:
                    context["login"] = order_lookup.order_account_find(
                        number=data["number"], name=data["name"], postcode=data["postcode"],
                        ip=_client_ip(request))
            except DomainError as exc:
                _add_errors(form, exc)
                context["status"] = exc.status
        status = context.pop("status", 422 if form.errors else 200)
        template = "accounts/_order_account_panel.html" if request.htmx else "accounts/order_account.html"
        return render(request, template, context, status=status)
    return render(request, "accounts/order_account.html", context)
