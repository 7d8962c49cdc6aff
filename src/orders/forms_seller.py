"""Forms of the seller's order pages (ORD-5, ORD-6, BP-4).

They only parse what a browser sends; orders.services enforce the rules, and
their field errors are put back on the form with `show_domain_error`.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from orders.carriers import OTHER, carrier_choices, carrier_find
from orders.models import TrackingEvent

ANSWERS = [("accept", "Accept"), ("refuse", "Refuse")]
MAX_TZ_OFFSET_MINUTES = 14 * 60


class DomainErrorsMixin:
    def show_domain_error(self, error: DomainError) -> None:
        """Put a service's field errors on the matching fields, the rest on the form."""
        shown = False
        for name, messages in (error.fields or {}).items():
            target = name if name in self.fields else None
            for message in messages if isinstance(messages, list | tuple) else [messages]:
                self.add_error(target, message)
                shown = True
        if not shown:
            self.add_error(None, error.message)


class ShipForm(DomainErrorsMixin, forms.Form):
    """ORD-6: carrier (from the registry, or typed) and the tracking number."""

    carrier = forms.ChoiceField(label=gettext_lazy("Carrier"))
    carrier_other = forms.CharField(
        label=gettext_lazy("Carrier name (if not in the list)"), max_length=80, required=False,
        help_text=gettext_lazy("Only when you chose “Another carrier”."),
    )
    tracking_number = forms.CharField(
        label=gettext_lazy("Tracking number"), max_length=80,
        help_text=gettext_lazy("As printed on the label; spaces are removed."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "characters"}),
    )

    def __init__(self, *args, suggested_carrier: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].choices = [("", "Choose the carrier…"), *carrier_choices(),
                                          (OTHER, "Another carrier (type its name)")]
        if not self.is_bound and suggested_carrier:
            known = carrier_find(suggested_carrier)
            if known:
                self.initial["carrier"] = known.code
            else:
                self.initial.update(carrier=OTHER, carrier_other=suggested_carrier)

    def clean_tracking_number(self) -> str:
        number = "".join(self.cleaned_data["tracking_number"].split()).upper()
        if not number:
            raise forms.ValidationError(_("Enter the tracking number."))
        if not number.replace("-", "").isalnum():
            raise forms.ValidationError(_("Use only the letters, digits and dashes of the tracking number."))
        return number

    def clean(self):
        cleaned = super().clean()
        choice, typed = cleaned.get("carrier"), (cleaned.get("carrier_other") or "").strip()
        if choice == OTHER:
            if not typed:
                self.add_error("carrier_other", _("Type the carrier's name."))
            else:
                known = carrier_find(typed)
                cleaned["carrier_name"] = known.name if known else typed
        elif choice:
            cleaned["carrier_name"] = dict(carrier_choices())[choice]
        return cleaned

    def service_kwargs(self) -> dict:
        return {"carrier": self.cleaned_data["carrier_name"],
                "tracking_number": self.cleaned_data["tracking_number"]}


class CancellationAnswerForm(DomainErrorsMixin, forms.Form):
    """ORD-5: accept or refuse the buyer's cancellation request, with an optional note."""

    answer = forms.ChoiceField(choices=ANSWERS, widget=forms.HiddenInput)
    note = forms.CharField(
        label=gettext_lazy("Note to the buyer (optional)"), max_length=300, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Up to 300 characters, e.g. why you refuse."),
    )

    def service_kwargs(self) -> dict:
        return {"accept": self.cleaned_data["answer"] == "accept",
                "note": self.cleaned_data["note"].strip()}


class ExtensionAnswerForm(DomainErrorsMixin, forms.Form):
    """BP-4: accept or refuse the buyer's request for more protection days."""

    answer = forms.ChoiceField(choices=ANSWERS, widget=forms.HiddenInput)

    def service_kwargs(self) -> dict:
        return {"accept": self.cleaned_data["answer"] == "accept"}


def _offset_minutes(text: str) -> int | None:
    """The device's UTC offset sent by site.js (minutes, UTC − local); blank means UTC."""
    text = text.strip()
    if not text:
        return 0
    try:
        minutes = int(text)
    except ValueError:
        return None
    return minutes if abs(minutes) <= MAX_TZ_OFFSET_MINUTES else None


class TrackingEventForm(DomainErrorsMixin, forms.Form):
    """ORD-6: a carrier scan typed by the seller (when the carrier sends no feed)."""

    status = forms.ChoiceField(label=gettext_lazy("What happened"), choices=[("", "Choose…"),
                                                               *TrackingEvent.Status.choices])
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("When"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Date and time of the scan, in UTC."),
    )
    tz_offset = forms.CharField(
        required=False, max_length=6, widget=forms.HiddenInput(attrs={"data-tz-offset": ""})
    )
    location = forms.CharField(label=gettext_lazy("Where (optional)"), max_length=120, required=False)
    description = forms.CharField(
        label=gettext_lazy("Details (optional)"), max_length=300, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, now: dt.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now

    def clean(self):
        cleaned = super().clean()
        when = cleaned.get("occurred_at")
        if when is None:
            return cleaned
        # The browser gives a wall-clock time; the page's script sends the device's UTC offset
        # (minutes, as JavaScript's getTimezoneOffset: UTC − local). Without it the time is UTC.
        offset = _offset_minutes(cleaned.get("tz_offset") or "")
        if offset is None:
            self.add_error("occurred_at", _("Your device's time zone could not be read; reload the page."))
            return cleaned
        naive = when.replace(tzinfo=None)
        utc = naive.replace(tzinfo=dt.UTC) + dt.timedelta(minutes=offset)
        if utc > self.now:
            self.add_error("occurred_at", _("This time is in the future; give the time of the scan."))
        cleaned["occurred_at_utc"] = utc
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"status": data["status"], "occurred_at": data["occurred_at_utc"],
                "location": data["location"].strip(), "description": data["description"].strip()}
