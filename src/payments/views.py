"""Pages of the payments app (PAY-1).

* The simulated provider's hosted card page, /pay/sim/card/: it plays the card provider.
  The form posts here, the number is used once to pick the test-card profile and is never
  stored or echoed back; the shop gets only a token "sim_pm_…" (appended to `return_to`,
  a path of this site) and shows the card as brand + last four digits.
* Saved cards, /account/cards/: list them, save a card just entered on the card page,
  remove one after re-entering the account password (another person's card is 404).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import clock
from core.errors import DomainError, NotFound
from payments import cards
from payments.providers import get_provider
from payments.providers.simulated import card_tokenise, luhn_ok


class CardNumberInput(forms.TextInput):
    """A card-number box that never renders a submitted value back into the page."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class SimCardForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Card number"),
        max_length=30,
        widget=CardNumberInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
        error_messages={"required": gettext_lazy("Enter the card number.")},
    )
    name = forms.CharField(
        label=gettext_lazy("Name on the card"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
        error_messages={"required": gettext_lazy("Enter the name printed on the card.")},
    )
    exp_month = forms.IntegerField(
        label=gettext_lazy("Expiry month (MM)"),
        min_value=1,
        max_value=12,
        error_messages={
            "required": gettext_lazy("Enter the expiry month."),
            "invalid": gettext_lazy("Enter a month from 1 to 12."),
            "min_value": gettext_lazy("Enter a month from 1 to 12."),
            "max_value": gettext_lazy("Enter a month from 1 to 12."),
        },
    )
    exp_year = forms.IntegerField(
        label=gettext_lazy("Expiry year (YY)"),
        min_value=0,
        max_value=2099,
        error_messages={"required": gettext_lazy(
            "Enter the expiry year."), "invalid": gettext_lazy("Enter the year, e.g. 29.")},
    )
    cvc = forms.CharField(
        label=gettext_lazy("Security code (CVV)"),
        max_length=4,
        widget=CardNumberInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
        error_messages={"required": gettext_lazy("Enter the security code.")},
    )
    save_card = forms.BooleanField(label=gettext_lazy("Save this card"), required=False)

    def clean_number(self) -> str:
        number = "".join(self.cleaned_data["number"].replace("-", " ").split())
        if not luhn_ok(number):
            raise forms.ValidationError(_("This card number is not valid. Check the digits."))
        return number

    def clean_exp_year(self) -> int:
        year = self.cleaned_data["exp_year"]
        if year < 100:
            year += 2000
        if not 2000 <= year <= 2099:
            raise forms.ValidationError(_("Enter the year, e.g. 29."))
        return year

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not (cvc.isdigit() and len(cvc) in (3, 4)):
            raise forms.ValidationError(_("The security code is the 3 or 4 digits on the card."))
        return cvc


def _return_to(request: HttpRequest, value: str) -> str:
    if (
        value
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and value.startswith("/")
    ):
        return value
    return reverse("payments:cards")


@login_required
@require_http_methods(["GET", "POST"])
def sim_card_page(request: HttpRequest) -> HttpResponse:
    """The simulated provider's hosted card step."""
    return_to = _return_to(request, request.POST.get("return_to") or request.GET.get("return_to", ""))
    if request.method == "GET":
        form = SimCardForm(initial={"save_card": request.GET.get("save") == "1"})
        return render(request, "payments/sim_card.html", {"form": form, "return_to": return_to})
    form = SimCardForm(request.POST)
    if not form.is_valid():
        return render(request, "payments/sim_card.html", {"form": form, "return_to": return_to}, status=422)
    card = card_tokenise(
        number=form.cleaned_data["number"],
        exp_month=form.cleaned_data["exp_month"],
        exp_year=form.cleaned_data["exp_year"],
        now=clock.now(),
    )
    query = {"card": card.token}
    if form.cleaned_data["save_card"]:
        query["save_card"] = "1"
    separator = "&" if "?" in return_to else "?"
    return redirect(f"{return_to}{separator}{urlencode(query)}")


class RemoveCardForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your account password"),
        strip=False,
        widget=forms.PasswordInput,
        error_messages={"required": gettext_lazy("Enter your account password to remove this card.")},
    )


def _cards_context(request: HttpRequest, **extra) -> dict:
    provider = get_provider()
    entered = None
    token = request.GET.get("card", "")
    if token and not cards.saved_cards(owner=request.user).filter(token=token).exists():
        entered = provider.card_details(token=token) if len(token) <= 100 else None
    return {
        "cards": list(cards.saved_cards(owner=request.user)),
        "entered": entered,
        "card_page": reverse("payments:sim_card")
        + "?"
        + urlencode({"return_to": reverse("payments:cards"), "save": "1"}),
        "simulated": provider.name == "simulated",
        "section": "cards",
        **extra,
    }


@login_required
@require_GET
def card_list(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/cards.html", _cards_context(request))


@login_required
@require_POST
def card_add(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")[:100]
    if not token:
        return render(
            request,
            "payments/cards.html",
            _cards_context(request, error="Choose a card to save."),
            status=422,
        )
    try:
        card = cards.saved_card_create(
            owner=request.user, provider=get_provider(), token=token, now=clock.now()
        )
    except DomainError as exc:
        return render(
            request, "payments/cards.html", _cards_context(request, error=exc.message), status=exc.status
        )
    messages.success(request, _("%(label)s is saved.") % {"label": card.label})
    return redirect("payments:cards")


@login_required
@require_POST
def card_remove(request: HttpRequest, pk: int) -> HttpResponse:
    form = RemoveCardForm(request.POST)
    errors = {}
    if form.is_valid():
        try:
            cards.saved_card_remove(owner=request.user, card_id=pk, password=form.cleaned_data["password"])
        except NotFound:
            raise Http404("No such card") from None
        except DomainError as exc:
            errors = exc.fields.get("password", [exc.message])
        else:
            messages.success(request, _("The card was removed."))
            return redirect("payments:cards")
    elif not cards.saved_cards(owner=request.user).filter(pk=pk).exists():
        raise Http404("No such card")
    else:
        errors = form.errors["password"]
    context = _cards_context(request, remove_errors={pk: list(errors)})
    return render(request, "payments/cards.html", context, status=422)
