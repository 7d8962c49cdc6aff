"""Seller center forms. They only parse what a browser sends (text to numbers, a typed
price to minor units); the rules live in catalog.services, whose field errors are put
back on the form with `show_domain_error`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.images import ACCEPT_ATTRIBUTE, MAX_IMAGES_PER_PRODUCT, MIN_SIDE
from core.countries import country_choices
from core.errors import DomainError
from core.money import Money, currencies, currency_choices
from core.policy import policy

PRICE_DIGITS_MAX = 12


def price_to_minor(text: str, currency: str) -> int | None:
    """A price typed as a decimal in `currency` (“24.50”) as minor units; None when blank.

    Refuses more decimals than the currency has (USD 2, VND none); the sign and the
    ceiling are checked by the catalog services.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or "e" in text.lower():
        raise ValidationError(_("Enter a price with digits and a dot for decimals, e.g. 24.50."))
    exponent = currencies()[currency].exponent
    if -value.as_tuple().exponent > exponent:
        if exponent == 0:
            raise ValidationError(_(
                "%(currency)s prices are whole numbers, without decimals.") % {"currency": currency})
        raise ValidationError(_(
            "%(currency)s prices have at most %(exponent)s decimals.") % {
                "currency": currency, "exponent": exponent})
    if abs(value) >= Decimal(10) ** PRICE_DIGITS_MAX:
        raise ValidationError(_("This price is far too large."))
    return Money.from_decimal(value, currency).amount


def minor_to_price(amount: int, currency: str) -> str:
    """Minor units as the decimal text a seller types (2450 USD → “24.50”)."""
    return str(Money(amount, currency).decimal)


def options_from_text(text: str) -> dict[str, str]:
    """“Colour: Indigo, Size: M” → {"Colour": "Indigo", "Size": "M"}."""
    options: dict[str, str] = {}
    for part in (text or "").replace(";", ",").split(","):
        if not part.strip():
            continue
        if ":" not in part:
            raise ValidationError(
                _("Write each option as name: value, e.g. Colour: Indigo (“%(strip)s” "
                    "has no colon).") % {"strip": part.strip()[:30]}
            )
        name, value = (s.strip() for s in part.split(":", 1))
        if name in options:
            raise ValidationError(_("The option “%(name)s” is given twice.") % {"name": name})
        options[name] = value
    return options


def options_to_text(options: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in (options or {}).items())


class FastSelect(forms.Select):
    """A select rendered in Python. The country list has some 250 options, which the
    template-based widget renderer takes tens of milliseconds to draw."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs) | {"name": name}
        chosen = set(self.format_value(value))
        options = format_html_join(
            "", '<option value="{}"{}>{}</option>',
            ((key, mark_safe(" selected") if str(key) in chosen else "", label)
             for key, label in self.choices),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


def _select(choices, blank: str | None = None) -> forms.Select:
    items = list(choices)
    if blank is not None:
        items = [("", blank), *items]
    return FastSelect(choices=items)


class ServiceForm(forms.Form):
    """A form whose rules are checked by a service; its DomainError lands on the fields."""

    # service field name → form field name, where they differ
    field_map: dict[str, str] = {}

    def show_domain_error(self, error: DomainError) -> None:
        if not error.fields:
            self.add_error(None, error.message)
            return
        for name, messages in error.fields.items():
            field = self.field_map.get(name, name)
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)

    def text(self, name: str) -> str:
        return self.cleaned_data.get(name) or ""


class StoreForm(ServiceForm):
    name = forms.CharField(required=False, label=gettext_lazy("Store name"),
                           widget=forms.TextInput(attrs={"maxlength": 80}))
    tagline = forms.CharField(required=False, help_text=gettext_lazy(
        "One short line under your store's name."),
                              widget=forms.TextInput(attrs={"maxlength": 160}))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    ships_from = forms.CharField(required=False, label=gettext_lazy("Ships from (country)"),
                                 widget=_select(country_choices(), gettext_lazy("Choose a country…")))
    currency = forms.CharField(required=False, label=gettext_lazy("Currency for new products"),
                               initial="USD", widget=_select(currency_choices()))

    def service_kwargs(self) -> dict:
        return {name: self.text(name) for name in self.fields}


class ProductForm(ServiceForm):
    field_map = {"shipping_method_ids": "shipping_methods"}

    category = forms.CharField(required=False)
    title = forms.CharField(required=False, widget=forms.TextInput(attrs={"maxlength": 140}))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}))
    currency = forms.CharField(required=False, help_text=gettext_lazy("Variant prices are in this currency."),
                               widget=_select(currency_choices()))
    processing_days = forms.IntegerField(
        required=False, label=gettext_lazy("Processing time (business days)"),
        widget=forms.NumberInput(attrs={"min": 1}),
    )
    free_return = forms.BooleanField(required=False, label=gettext_lazy("Free Return"),
                                     help_text=gettext_lazy("Buyers may return it for any reason."))
    warranty = forms.BooleanField(required=False, label=gettext_lazy("One-year commercial warranty"))
    domestic_delivery = forms.BooleanField(
        required=False, label=gettext_lazy("Domestic delivery from a local warehouse (no customs)"))
    warehouse_country = forms.CharField(
        required=False, label=gettext_lazy("Warehouse country"),
        help_text=gettext_lazy("Needed with domestic delivery."),
        widget=_select(country_choices(), gettext_lazy("No domestic warehouse")),
    )
    shipping_methods = forms.TypedMultipleChoiceField(
        required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("How buyers can receive this product."),
    )

    def __init__(self, *args, store, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].widget = _select(categories, _("Choose a category…"))
        self.fields["shipping_methods"].choices = [
            (m.pk, f"{m.name} ({m.carrier})") for m in store.shipping_methods.all()
        ]
        self.fields["currency"].initial = store.currency
        days = self.fields["processing_days"]
        days.widget.attrs["max"] = policy.max_processing_days
        days.help_text = (f"Business days you need before shipping: 1 to "
                          f"{policy.max_processing_days}. Leave empty for "
                          f"{policy.default_processing_days}.")

    @classmethod
    def initial_for(cls, product) -> dict:
        return {
            "category": product.category_id, "title": product.title,
            "description": product.description, "currency": product.currency,
            "processing_days": product.processing_days, "free_return": product.free_return,
            "warranty": product.warranty, "domestic_delivery": product.domestic_delivery,
            "warehouse_country": product.warehouse_country,
            "shipping_methods": [m.pk for m in product.shipping_methods.all()],
        }

    def clean_category(self) -> int | None:
        value = self.cleaned_data["category"].strip()
        if not value:
            return None
        if not value.isdigit():
            raise ValidationError(_("Choose a category from the list."))
        return int(value)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "category": data["category"], "title": self.text("title"),
            "description": self.text("description"), "currency": self.text("currency"),
            "processing_days": data["processing_days"], "free_return": data["free_return"],
            "warranty": data["warranty"], "domestic_delivery": data["domestic_delivery"],
            "warehouse_country": self.text("warehouse_country"),
            "shipping_method_ids": data["shipping_methods"],
        }


class VariantForm(ServiceForm):
    """One variant row. The price is typed in the product's currency."""

    field_map = {"price_minor": "price"}

    sku = forms.CharField(required=False, label="SKU",
                          widget=forms.TextInput(attrs={"maxlength": 64, "size": 10}))
    options = forms.CharField(
        required=False,
        help_text=gettext_lazy("Name: value pairs separated by commas, e.g. Colour: Indigo, Size: M."),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Colour: Indigo, Size: M")}),
    )
    price = forms.CharField(required=False, widget=forms.TextInput(
        attrs={"inputmode": "decimal", "size": 8, "autocomplete": "off"}))
    stock = forms.IntegerField(required=False, widget=forms.NumberInput(attrs={"min": 0}))

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["price"].label = _("Price (%(currency)s)") % {"currency": currency}

    @classmethod
    def initial_for(cls, variant, currency: str) -> dict:
        return {"sku": variant.sku, "options": options_to_text(variant.options),
                "price": minor_to_price(variant.price_minor, currency), "stock": variant.stock}

    def clean_options(self) -> dict:
        return options_from_text(self.cleaned_data["options"])

    def clean_price(self) -> int | None:
        return price_to_minor(self.cleaned_data["price"], self.currency)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"sku": self.text("sku"), "options": data["options"],
                "price_minor": data["price"], "stock": data["stock"]}


class ShippingMethodForm(ServiceForm):
    field_map = {"price_minor": "price"}

    name = forms.CharField(required=False, help_text=gettext_lazy(
        "What buyers see, e.g. “Standard tracked”."),
                           widget=forms.TextInput(attrs={"maxlength": 80}))
    carrier = forms.CharField(required=False, widget=forms.TextInput(attrs={"maxlength": 80}))
    price = forms.CharField(required=False, label=gettext_lazy("Shipping fee"),
                            help_text=gettext_lazy("0 for free shipping."),
                            widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    currency = forms.CharField(required=False, widget=_select(currency_choices()))
    is_tracked = forms.BooleanField(required=False, initial=True,
                                    label=gettext_lazy("Parcels have a tracking number"))

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = store.currency

    @classmethod
    def initial_for(cls, method) -> dict:
        return {"name": method.name, "carrier": method.carrier, "currency": method.currency,
                "price": minor_to_price(method.price_minor, method.currency),
                "is_tracked": method.is_tracked}

    def clean(self):
        data = super().clean()
        currency = (data.get("currency") or "").strip().upper()
        if "price" in data:
            if currency in currencies():
                try:
                    data["price"] = price_to_minor(data["price"], currency)
                except ValidationError as error:
                    self.add_error("price", error)
            else:
                # The service reports the unknown currency; the fee is read once it is valid.
                data["price"] = 0
        return data

    def service_kwargs(self) -> dict:
        return {"name": self.text("name"), "carrier": self.text("carrier"),
                "price_minor": self.cleaned_data["price"], "currency": self.text("currency"),
                "is_tracked": self.cleaned_data["is_tracked"]}


class EstimateForm(ServiceForm):
    country = forms.CharField(required=False, label=gettext_lazy("Destination"),
                              widget=_select(country_choices(), gettext_lazy("Rest of the world")))
    min_days = forms.IntegerField(required=False, label=gettext_lazy("Shortest (days)"),
                                  widget=forms.NumberInput(attrs={"min": 1, "max": 120}))
    max_days = forms.IntegerField(required=False, label=gettext_lazy("Longest (days)"),
                                  widget=forms.NumberInput(attrs={"min": 1, "max": 120}))

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"country": self.text("country"), "min_days": data["min_days"],
                "max_days": data["max_days"]}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class ImageUploadForm(ServiceForm):
    images = MultipleFileField(required=False, label=gettext_lazy("Picture files"))
    alt_text = forms.CharField(
        required=False, label=gettext_lazy("Description for people who cannot see the pictures"),
        widget=forms.TextInput(attrs={"maxlength": 200}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["images"].help_text = (
            f"JPEG, PNG or WebP, at least {MIN_SIDE}×{MIN_SIDE} pixels, at most "
            f"{policy.product_image_max_bytes / (1024 * 1024):g} MB each; "
            f"up to {MAX_IMAGES_PER_PRODUCT} per product."
        )

    def clean_images(self):
        files = self.cleaned_data["images"]
        if not files:
            raise ValidationError(_("Choose at least one picture."))
        return files


class ImageAltForm(ServiceForm):
    alt_text = forms.CharField(required=False, label=gettext_lazy("Description"),
                               widget=forms.TextInput(attrs={"maxlength": 200}))
