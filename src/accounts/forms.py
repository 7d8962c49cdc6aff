"""Forms of the account pages. They only parse input; accounts.services checks it (ACC-7)."""

from django import forms
from django.utils.translation import gettext_lazy

from accounts.models import Address, User
from core.countries import country_choices


class SignupExtraForm(forms.Form):
    """Extra sign-up fields (ACC-1): the newsletter box, unticked unless the person ticks it."""

    newsletter_opt_in = forms.BooleanField(
        required=False,
        initial=False,
        label=gettext_lazy("Yes, send me news about new makers, gift ideas and offers from Hmong Artisans."),
    )

    def signup(self, request, user) -> None:
        from accounts.services import user_set_newsletter_opt_in

        user_set_newsletter_opt_in(user=user, opt_in=self.cleaned_data.get("newsletter_opt_in", False))


def _text_input(model, name: str, *, required: bool, autocomplete: str, input_type: str = "text",
                label: str | None = None, help_text: str = "") -> forms.CharField:
    """A text field whose checks are left to the service; the HTML still marks what is required."""
    model_field = model._meta.get_field(name)
    attrs = {"type": input_type, "maxlength": model_field.max_length, "autocomplete": autocomplete}
    if required:
        attrs["required"] = True
        attrs["aria-required"] = "true"
    return forms.CharField(
        required=False, strip=False, label=label or model_field.verbose_name.capitalize(),
        widget=forms.TextInput(attrs=attrs), help_text=help_text,
    )


class ProfileForm(forms.Form):
    first_name = _text_input(User, "first_name", required=False, autocomplete="given-name")
    last_name = _text_input(User, "last_name", required=False, autocomplete="family-name")
    newsletter_opt_in = forms.BooleanField(
        required=False,
        label=gettext_lazy("Send me news about new makers, gift ideas and offers by email."),
    )


class AddressForm(forms.Form):
    first_name = _text_input(Address, "first_name", required=True, autocomplete="given-name")
    last_name = _text_input(Address, "last_name", required=True, autocomplete="family-name",
                            help_text=gettext_lazy("Orders are shipped to a complete name: first and last."))
    line1 = _text_input(Address, "line1", required=True, autocomplete="address-line1",
                        label=gettext_lazy("Street address"))
    line2 = _text_input(Address, "line2", required=False, autocomplete="address-line2",
                        label=gettext_lazy("Apartment, suite, building (optional)"))
    city = _text_input(Address, "city", required=True, autocomplete="address-level2")
    region = _text_input(Address, "region", required=False, autocomplete="address-level1",
                         label=gettext_lazy("State, province or region"))
    postal_code = _text_input(Address, "postal_code", required=False, autocomplete="postal-code",
                              label=gettext_lazy("Postal code"),
                              help_text=gettext_lazy(
                                  "Required for most countries, e.g. the ZIP code in the US."))
    country = forms.CharField(
        required=False,
        widget=forms.Select(
            choices=[("", "Choose a country")] + country_choices(),
            attrs={"required": True, "aria-required": "true", "autocomplete": "country"},
        ),
    )
    phone = _text_input(Address, "phone", required=True, autocomplete="tel", input_type="tel",
                        label=gettext_lazy("Phone number"),
                        help_text=gettext_lazy("For the carrier: 6 to 20 digits, + and spaces allowed."))
    make_default = forms.BooleanField(required=False, label=gettext_lazy(
        "Use as my default shipping address"))

    def address_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("make_default", None)
        return data


def form_add_service_errors(form: forms.Form, fields: dict[str, list[str]], message: str) -> None:
    """Show a service's field messages next to the matching inputs."""
    shown = False
    for name, messages in fields.items():
        for text in messages:
            if name in form.fields:
                form.add_error(name, text)
                shown = True
            else:
                form.add_error(None, text)
    if not shown and not fields:
        form.add_error(None, message)
