"""Account pages under /account/: the profile and the address book (ACC-7). Sign-in required."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import AddressForm, ProfileForm, form_add_service_errors
from core.errors import DomainError, NotFound


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.user_update_profile(user=user, changes=form.cleaned_data)
            except DomainError as exc:
                form_add_service_errors(form, exc.fields, exc.message)
            else:
                messages.success(request, _("Your profile is saved."))
                return redirect("accounts:profile")
    else:
        form = ProfileForm(initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "newsletter_opt_in": user.newsletter_opt_in,
        })
    status = 422 if form.errors else 200
    return render(request, "accounts/profile.html", {"form": form, "section": "profile"},
                  status=status)


def _book_context(request: HttpRequest, form: AddressForm) -> dict:
    return {
        "addresses": selectors.address_list(user=request.user),
        "form": form,
        "section": "addresses",
    }


@login_required
@require_http_methods(["GET", "POST"])
def addresses(request: HttpRequest) -> HttpResponse:
    """The address book: the list and the form to add one."""
    if request.method == "POST":
        form = AddressForm(request.POST)
        if form.is_valid():
            try:
                services.address_create(
                    user=request.user, make_default=form.cleaned_data["make_default"],
                    **form.address_data(),
                )
            except DomainError as exc:
                form_add_service_errors(form, exc.fields, exc.message)
            else:
                messages.success(request, _("The address is saved."))
                return redirect("accounts:addresses")
        status = 422 if form.errors else 200
        return render(request, "accounts/addresses.html", _book_context(request, form), status=status)
    form = AddressForm(initial={"country": getattr(request, "visitor_country", "")})
    return render(request, "accounts/addresses.html", _book_context(request, form))


@login_required
@require_http_methods(["GET", "POST"])
def address_edit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        address = selectors.address_get(user=request.user, address_id=pk)
    except NotFound:
        raise Http404("No such address") from None
    if request.method == "POST":
        form = AddressForm(request.POST)
        if form.is_valid():
            try:
                services.address_update(user=request.user, address_id=pk, changes=form.address_data())
                if form.cleaned_data["make_default"]:
                    services.address_set_default(user=request.user, address_id=pk)
            except NotFound:
                raise Http404("No such address") from None
            except DomainError as exc:
                form_add_service_errors(form, exc.fields, exc.message)
            else:
                messages.success(request, _("The address is updated."))
                return redirect("accounts:addresses")
    else:
        initial = {name: getattr(address, name) for name in services.ADDRESS_FIELDS}
        form = AddressForm(initial={**initial, "make_default": address.is_default})
    status = 422 if form.errors else 200
    return render(request, "accounts/address_edit.html",
                  {"form": form, "address": address, "section": "addresses"}, status=status)


def _after_book_change(request: HttpRequest, note: str) -> HttpResponse:
    """htmx swaps the refreshed list in place; a plain form post goes back to the page."""
    if request.htmx:
        return render(request, "accounts/_address_list.html", {
            "addresses": selectors.address_list(user=request.user), "note": note,
        })
    messages.success(request, note)
    return redirect("accounts:addresses")


@login_required
@require_POST
def address_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.address_delete(user=request.user, address_id=pk)
    except NotFound:
        raise Http404("No such address") from None
    return _after_book_change(request, "The address is removed.")


@login_required
@require_POST
def address_default(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        address = services.address_set_default(user=request.user, address_id=pk)
    except NotFound:
        raise Http404("No such address") from None
    return _after_book_change(request, f"{address.full_name}, {address.city} is now your default address.")
