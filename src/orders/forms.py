"""Forms of the buyer's checkout and order pages. They parse input; the services check it."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.policy import policy

REASON_MAX = 300
KEY_MAX = 64


def new_idempotency_key() -> str:
    """A fresh key for one rendering of a form: a resubmission of that form reuses it."""
    return secrets.token_urlsafe(24)


class IdempotencyKeyField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            max_length=KEY_MAX,
            widget=forms.HiddenInput,
            error_messages={
                "required": _("This form has expired. Reload the page and try again."),
                "max_length": _("This form has expired. Reload the page and try again."),
            },
            **kwargs,
        )


class CheckoutForm(forms.Form):
    """ORD-1: which address to ship to (a saved one's id, or "new" for the inline form)."""

    address = forms.CharField(
        max_length=20,
        error_messages={"required": gettext_lazy("Choose where to ship your order.")},
    )
    idempotency_key = IdempotencyKeyField()

    def clean_address(self) -> str:
        value = self.cleaned_data["address"].strip()
        if value != "new" and not value.isdigit():
            raise forms.ValidationError(_("Choose one of your addresses or add a new one."))
        return value


class PayForm(forms.Form):
    """The simulated provider's card token and the key that makes a double submit charge once (PAY-5)."""

    token = forms.CharField(max_length=100, required=False)
    idempotency_key = IdempotencyKeyField()
    save_card = forms.BooleanField(required=False)  # PAY-1 "Save this card"
    method = forms.CharField(max_length=30, required=False)  # PAY-4: a payments.methods code
    use_balance = forms.BooleanField(required=False)  # spend the buyer's platform balance first

    def clean(self):
        data = super().clean()
        data["method"] = data.get("method") or "card"
        if data["method"] == "card" and not data.get("token") and not data.get("use_balance"):
            self.add_error("token", _("Choose a card to pay with."))
        return data


class CancellationRequestForm(forms.Form):
    """ORD-5: why the buyer wants to cancel a paid, unshipped order."""

    reason = forms.CharField(
        label=gettext_lazy("Why do you want to cancel?"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
        error_messages={
            "required": gettext_lazy("Tell the seller why you want to cancel."),
            "max_length": format_lazy(
                gettext_lazy("Keep the reason to {REASON_MAX} characters or fewer."), REASON_MAX=REASON_MAX),
        },
    )


class ExtensionRequestForm(forms.Form):
    """BP-4: how many more days of protection the buyer asks for (the range comes from the policy)."""

    days = forms.IntegerField(
        label=gettext_lazy("Extra days"),
        error_messages={
            "required": gettext_lazy("Enter how many days you need."),
            "invalid": gettext_lazy("Enter a whole number of days."),
        },
    )
    reason = forms.CharField(
        label=gettext_lazy("Message to the seller (optional)"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": REASON_MAX}),
        error_messages={"max_length": format_lazy(
            gettext_lazy("Keep the message to {REASON_MAX} characters or fewer."), REASON_MAX=REASON_MAX)},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = policy.extension_min_days, policy.extension_max_days
        # The browser hints at the range; the service (orders.rules.check_extension_days) decides.
        self.fields["days"].widget.attrs.update({"min": low, "max": high, "inputmode": "numeric"})
        self.fields["days"].help_text = f"From {low} to {high} days."

    def clean_days(self) -> int:
        days = self.cleaned_data["days"]
        if abs(days) > 10**6:
            raise forms.ValidationError(
                _("Choose from %(extension_min_days)s to %(extension_max_days)s days.") % {
                    "extension_min_days": policy.extension_min_days,
                    "extension_max_days": policy.extension_max_days}
            )
        return days
