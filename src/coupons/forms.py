"""Forms of the coupon pages. They only parse what a browser sends (a typed amount to minor
units, a percentage to basis points, a local date and time to an aware instant); the rules
are checked by coupons.manage, whose field errors land back on the form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.calendar import business_zone
from core.money import currencies, currency_choices
from coupons.models import PLATFORM_KINDS, STORE_KINDS, Eligible, Kind
from sellercenter.forms import FastSelect, ServiceForm, minor_to_price, price_to_minor

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
PROMO_CODE_INPUT_MAX = 64


def zone_label() -> str:
    return str(business_zone())


class LocalDateTimeField(forms.CharField):
    """A date and time typed in the business time zone (an <input type="datetime-local">)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)

    def to_python(self, value):
        text = super().to_python(value).strip()
        if not text:
            return None
        for fmt in (DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
            try:
                naive = dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
            return naive.replace(tzinfo=business_zone())
        raise ValidationError(_("Enter a date and time such as 2026-12-01 09:00."))

    @staticmethod
    def initial_of(instant: dt.datetime | None) -> str:
        return instant.astimezone(business_zone()).strftime(DATETIME_FORMAT) if instant else ""


def percent_to_bp(text: str) -> int | None:
    """“12.5” (percent) → 1250 basis points; None when blank. The range is the service's."""
    text = (text or "").strip().rstrip("%").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or "e" in text.lower():
        raise ValidationError(_("Enter the percentage as a number, e.g. 10 or 12.5."))
    if -value.as_tuple().exponent > 2:
        raise ValidationError(_("Use at most two decimals in the percentage."))
    if abs(value) > 10**6:
        raise ValidationError(_("The percentage must be from 1 to 100."))
    return int(value * 100)


def bp_to_percent(bp: int | None) -> str:
    if bp is None:
        return ""
    return str(Decimal(bp) / 100)  # 1000 → "10", 1250 → "12.5"


def _ids_from_text(text: str) -> list[int]:
    ids = []
    for part in (text or "").replace(";", ",").replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit():
            raise ValidationError(_("Write ids as numbers separated by commas, e.g. 12, 40."))
        ids.append(int(part))
    return ids


class PromotionForm(ServiceForm):
    """A seller's store promotion or a staff member's platform promotion."""

    field_map = {
        "percent_bp": "percent", "amount_minor": "amount", "max_discount_minor": "max_discount",
        "min_spend_minor": "min_spend", "product_ids": "products", "category_ids": "categories",
        "sale_page_id": "sale_page",
    }

    kind = forms.ChoiceField(label=gettext_lazy("Kind"))
    title = forms.CharField(required=False, label=gettext_lazy("Title buyers see"),
                            widget=forms.TextInput(attrs={"maxlength": 120}))
    description = forms.CharField(required=False, label=gettext_lazy("Conditions in a sentence (optional)"),
                                  widget=forms.TextInput(attrs={"maxlength": 300}))
    code = forms.CharField(required=False, label=gettext_lazy("Promo code"), max_length=PROMO_CODE_INPUT_MAX,
                           help_text=gettext_lazy("Promo codes only: letters, digits, - and _; "
                                                  "saved in capitals."),
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    currency = forms.CharField(required=False, label=gettext_lazy("Currency of the amounts"))
    percent = forms.CharField(required=False, label=gettext_lazy("Percentage off"),
                              help_text=gettext_lazy("From 1 to 100. Fill in this or the amount off."),
                              widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    amount = forms.CharField(required=False, label=gettext_lazy("Amount off"),
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    max_discount = forms.CharField(required=False, label=gettext_lazy("Largest discount (optional)"),
                                   help_text=gettext_lazy("Caps a percentage discount."),
                                   widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    min_spend = forms.CharField(required=False, label=gettext_lazy("Minimum spend"),
                                help_text=gettext_lazy("Items total the order must reach; empty for none."),
                                widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    starts_at = LocalDateTimeField(required=False, label=gettext_lazy("Starts"))
    ends_at = LocalDateTimeField(required=False, label=gettext_lazy("Ends"))
    eligible_users = forms.ChoiceField(required=False, label=gettext_lazy("Who may use it"))
    products = forms.TypedMultipleChoiceField(
        required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Only these products (none ticked: all)"))
    categories = forms.TypedMultipleChoiceField(
        required=False, coerce=int, widget=forms.SelectMultiple(attrs={"size": 6}),
        label=gettext_lazy("Only these categories (none chosen: all)"))
    per_user_limit = forms.IntegerField(required=False, label=gettext_lazy("Uses per buyer"), initial=1,
                                        widget=forms.NumberInput(attrs={"min": 1}),
                                        error_messages={"invalid": gettext_lazy("Enter a whole number.")})
    total_stock = forms.IntegerField(required=False, label=gettext_lazy("Total stock"),
                                     help_text=gettext_lazy("How many times it can be used in all; "
                                                            "empty for no limit."),
                                     widget=forms.NumberInput(attrs={"min": 1}),
                                     error_messages={"invalid": gettext_lazy("Enter a whole number.")})
    sale_page = forms.TypedChoiceField(required=False, coerce=int, empty_value=None,
                                       label=gettext_lazy("Offered on the sale page"))

    def __init__(self, *args, store=None, products=None, categories=None, sale_pages=None,
                 editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.store = store
        kinds = STORE_KINDS if store is not None else PLATFORM_KINDS
        self.fields["kind"].choices = [(k, Kind(k).label) for k in kinds]
        self.fields["kind"].error_messages["invalid_choice"] = _("Choose one of the kinds in the list.")
        if editing:
            self.fields["kind"].disabled = True
            self.fields["kind"].help_text = _("The kind cannot change once created.")
        eligible = [(e.value, e.label) for e in Eligible]
        if store is None:
            eligible = [e for e in eligible if e[0] != Eligible.FOLLOWERS]
        self.fields["eligible_users"].choices = eligible
        self.fields["eligible_users"].error_messages["invalid_choice"] = _("Choose who may use it.")
        zone = zone_label()
        self.fields["starts_at"].help_text = _("Time in %(zone)s.") % {"zone": zone}
        self.fields["ends_at"].help_text = _("Time in %(zone)s.") % {"zone": zone}
        self.fields["categories"].choices = list(categories or [])
        self.fields["categories"].error_messages["invalid_choice"] = _("Choose categories from the list.")
        if store is not None:
            self.fields["products"].choices = list(products or [])
            self.fields["products"].error_messages["invalid_choice"] = _("Choose products of your store.")
            del self.fields["currency"]
            del self.fields["sale_page"]
            self.fields["amount"].help_text = _("In %(currency)s, your store's currency.") % {
                "currency": store.currency}
        else:
            self.fields["products"] = forms.CharField(
                required=False, label=_("Only these product ids (empty: all)"),
                help_text=_("Numbers separated by commas."))
            self.fields["currency"].widget = FastSelect(choices=currency_choices())
            self.fields["currency"].initial = "USD"
            self.fields["sale_page"].choices = [("", _("No sale page"))] + list(sale_pages or [])
            self.fields["sale_page"].error_messages["invalid_choice"] = _("Choose a sale page from the list.")

    @property
    def currency_code(self) -> str:
        if self.store is not None:
            return self.store.currency
        name = self.add_prefix("currency")
        value = self.data.get(name) if self.is_bound else self.initial.get("currency")
        return (value or "USD").strip().upper()

    def _minor(self, name: str) -> int | None:
        currency = self.currency_code
        if currency not in currencies():
            return None  # the service says the currency is unknown
        return price_to_minor(self.cleaned_data.get(name) or "", currency)

    def clean_percent(self):
        return percent_to_bp(self.cleaned_data.get("percent") or "")

    def clean_amount(self):
        return self._minor("amount")

    def clean_max_discount(self):
        return self._minor("max_discount")

    def clean_min_spend(self):
        return self._minor("min_spend")

    def clean_products(self):
        value = self.cleaned_data.get("products")
        if isinstance(value, str):
            return _ids_from_text(value)
        return value or []

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            "title": self.text("title"), "description": self.text("description"),
            "code": self.text("code"), "percent_bp": data.get("percent"),
            "amount_minor": data.get("amount"), "max_discount_minor": data.get("max_discount"),
            "min_spend_minor": data.get("min_spend"), "starts_at": data.get("starts_at"),
            "ends_at": data.get("ends_at"), "eligible_users": data.get("eligible_users") or Eligible.EVERYONE,
            "product_ids": data.get("products") or [], "category_ids": data.get("categories") or [],
            "per_user_limit": data.get("per_user_limit"), "total_stock": data.get("total_stock"),
        }
        if not self.fields["kind"].disabled:
            kwargs["kind"] = data.get("kind")
        if self.store is None:
            kwargs["currency"] = self.text("currency")
            kwargs["sale_page_id"] = data.get("sale_page")
        return kwargs

    @classmethod
    def initial_for(cls, promotion) -> dict:
        currency = promotion.currency

        def price(amount):
            return minor_to_price(amount, currency) if amount is not None else ""

        product_ids = list(promotion.products.values_list("pk", flat=True))
        return {
            "kind": promotion.kind, "title": promotion.title, "description": promotion.description,
            "code": promotion.code, "currency": currency, "percent": bp_to_percent(promotion.percent_bp),
            "amount": price(promotion.amount_minor), "max_discount": price(promotion.max_discount_minor),
            "min_spend": price(promotion.min_spend_minor) if promotion.min_spend_minor else "",
            "starts_at": LocalDateTimeField.initial_of(promotion.starts_at),
            "ends_at": LocalDateTimeField.initial_of(promotion.ends_at),
            "eligible_users": promotion.eligible_users,
            "products": product_ids if promotion.store_id else ", ".join(map(str, product_ids)),
            "categories": list(promotion.categories.values_list("pk", flat=True)),
            "per_user_limit": promotion.per_user_limit, "total_stock": promotion.total_stock,
            "sale_page": promotion.sale_page_id,
        }


class SalePageForm(ServiceForm):
    name = forms.CharField(required=False, label=gettext_lazy("Name"),
                           widget=forms.TextInput(attrs={"maxlength": 120}))
    slug = forms.CharField(required=False, label=gettext_lazy("Address"),
                           help_text=gettext_lazy("The page is /sale/<address>/; empty: made from the name."),
                           widget=forms.TextInput(attrs={"maxlength": 80}))
    description = forms.CharField(required=False, label=gettext_lazy("Description"),
                                  widget=forms.Textarea(attrs={"rows": 4}))
    starts_at = LocalDateTimeField(required=False, label=gettext_lazy("Starts"))
    ends_at = LocalDateTimeField(required=False, label=gettext_lazy("Ends"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone = zone_label()
        self.fields["starts_at"].help_text = _("Time in %(zone)s.") % {"zone": zone}
        self.fields["ends_at"].help_text = _("Time in %(zone)s.") % {"zone": zone}

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"name": self.text("name"), "slug": self.text("slug"), "description": self.text("description"),
                "starts_at": data.get("starts_at"), "ends_at": data.get("ends_at")}

    @classmethod
    def initial_for(cls, page) -> dict:
        return {"name": page.name, "slug": page.slug, "description": page.description,
                "starts_at": LocalDateTimeField.initial_of(page.starts_at),
                "ends_at": LocalDateTimeField.initial_of(page.ends_at)}


class PromoCodeForm(forms.Form):
    """The checkout's promo code box (the engine normalises and checks the code)."""

    code = forms.CharField(required=False, max_length=PROMO_CODE_INPUT_MAX, label=gettext_lazy("Promo code"),
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
                           error_messages={"max_length": gettext_lazy("That code is too long.")})
