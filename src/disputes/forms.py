"""Forms of the dispute pages (DSP-1…DSP-6, WAR-1): they parse what people type — amounts in the
order's currency, line quantities, dates, files — into what disputes.services takes. The services
check the rules (BP-3, refundable amount, evidence content); their field messages come back onto
these forms with `form_show_error`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.money import Money, format_money, get_currency
from disputes.states import (
    DISPUTE_SOLUTIONS,
    NOT_RECEIVED,
    RECEIVED_PROBLEM,
    WARRANTY_SOLUTIONS,
    Outcome,
    Party,
    Reason,
    Solution,
)

DESCRIPTION_MAX = 4000
NOTE_MAX = 2000
AMOUNT_MAX_CHARS = 20

# The services' field names → the names of these forms.
FIELD_ALIASES = {
    "amount_minor": "amount",
    "counter_amount_minor": "counter_amount",
    "counter_solution": "counter_solution",
}


def _choices(values) -> list[tuple[str, str]]:
    return [(value.value, value.label) for value in values]


def _ordered(members, wanted) -> list:
    return [m for m in members if m in wanted]


REASON_GROUPS = [
    (_("Not received"), _choices(_ordered(Reason, NOT_RECEIVED))),
    (_("Received with a problem"), _choices(_ordered(Reason, RECEIVED_PROBLEM))),
]


def amount_to_minor(text: str, currency: str, *, allow_zero: bool = False) -> int:
    """'12.50' in `currency` → 1250; a ValidationError with a sentence for anything else."""
    text = (text or "").strip().replace(",", "")
    example = f"{Decimal(1250).scaleb(-2):.{get_currency(currency).exponent}f}"
    if not text:
        raise forms.ValidationError(gettext("Enter an amount."))
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise forms.ValidationError(
            gettext("Enter an amount in %(currency)s, such as %(example)s.")
            % {"currency": currency, "example": example}
        ) from None
    if not number.is_finite() or number.as_tuple().exponent < -get_currency(currency).exponent:
        raise forms.ValidationError(
            gettext("%(currency)s amounts have at most %(n)s decimals.")
            % {"currency": currency, "n": get_currency(currency).exponent}
        )
    if number < 0 or (number == 0 and not allow_zero):
        raise forms.ValidationError(gettext("The amount must be more than zero."))
    try:
        minor = Money.from_decimal(number, currency).amount
    except (ValueError, TypeError):
        raise forms.ValidationError(gettext("This amount is too large.")) from None
    if minor > 2**31 - 1:
        raise forms.ValidationError(gettext("This amount is too large."))
    return minor


def minor_to_text(minor: int | None, currency: str) -> str:
    """1250 USD → '12.50' (for a form's initial value)."""
    if minor is None:
        return ""
    exponent = get_currency(currency).exponent
    return f"{Decimal(minor).scaleb(-exponent):.{exponent}f}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Any number of files (0 included); disputes.evidence checks what they really are."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Evidence files"))
        kwargs.setdefault(
            "help_text",
            _(
                "Photos (JPEG, PNG, WebP, GIF), videos (MP4, WebM) or PDF documents. Files are checked by "
                "what they contain, and only you, the other side and our dispute team can open them."
            ),
        )
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={
                    "accept": ".jpg,.jpeg,.png,.webp,.gif,.pdf,.mp4,.webm,image/jpeg,image/png,image/webp,"
                    "image/gif,application/pdf,video/mp4,video/webm",
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [f for f in data if f]
        return [data] if data else []


class PageForm(forms.Form):
    """A form that shares its page with others: its ids carry `auto_id_prefix` so they stay unique."""

    auto_id_prefix = ""

    def __init__(self, *args, **kwargs):
        if self.auto_id_prefix:
            kwargs.setdefault("auto_id", f"{self.auto_id_prefix}_%s")
        super().__init__(*args, **kwargs)


def form_show_error(form: forms.Form, error: DomainError) -> None:
    """Put a service's error on the form: per field when it names one of ours, else at the top."""
    shown = False
    for name, texts in (error.fields or {}).items():
        texts = texts if isinstance(texts, list | tuple) else [str(texts)]
        target = FIELD_ALIASES.get(name, name)
        for text in texts:
            if target in form.fields:
                form.add_error(target, str(text))
            else:
                form.add_error(None, str(text))
        shown = True
    if not shown:
        form.add_error(None, error.message)


class _CurrencyForm(PageForm):
    """A form whose amounts are typed in the order's currency."""

    amount_field = "amount"

    def __init__(self, *args, currency: str, refundable_minor: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.refundable_minor = refundable_minor
        field = self.fields.get(self.amount_field)
        if field is not None:
            field.label = f"{field.label} ({currency})"
            field.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
            if refundable_minor is not None:
                field.help_text = gettext(
                    "At most %(amount)s: what was paid minus what was already refunded."
                ) % {"amount": format_money(Money(refundable_minor, currency))}

    def _amount(self, name: str, *, allow_zero: bool = False) -> int | None:
        text = self.cleaned_data.get(name, "")
        if not self.fields[name].required and not (text or "").strip():
            return None
        minor = amount_to_minor(text, self.currency, allow_zero=allow_zero)
        if self.refundable_minor is not None and minor > self.refundable_minor:
            raise forms.ValidationError(
                gettext("At most %(amount)s can still be refunded on this order.")
                % {"amount": format_money(Money(self.refundable_minor, self.currency))}
            )
        return minor


class DisputeOpenForm(_CurrencyForm):
    """DSP-1: reason (BP-3 groups), solution, amount, which items and how many, description, files."""

    reason = forms.ChoiceField(
        label=_("What is wrong?"), choices=[("", _("Choose a reason"))] + REASON_GROUPS
    )
    solution = forms.ChoiceField(
        label=_("What do you ask for?"),
        choices=_choices(_ordered(Solution, DISPUTE_SOLUTIONS)),
        widget=forms.RadioSelect,
    )
    amount = forms.CharField(label=_("Refund you ask for"), max_length=AMOUNT_MAX_CHARS)
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What happened, what you expected, and anything the seller should know."),
    )
    files = EvidenceFilesField()

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = list(order.lines.all())
        self.line_fields = []
        for line in self.order_lines:
            name = f"qty_{line.pk}"
            self.fields[name] = forms.IntegerField(
                label=gettext("How many of “%(title)s”") % {"title": line.product_title},
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
                required=False,
                help_text=gettext("%(n)s ordered") % {"n": line.quantity},
            )
            self.line_fields.append((line, name))

    def line_bound_fields(self):
        return [(line, self[name]) for line, name in self.line_fields]

    def clean_amount(self) -> int | None:
        return self._amount("amount")

    def clean(self):
        data = super().clean()
        chosen = []
        for line, name in self.line_fields:
            quantity = data.get(name)
            if quantity:
                chosen.append({"line_id": line.pk, "quantity": quantity})
        if self.line_fields and not chosen and not any(self.errors.get(n) for _l, n in self.line_fields):
            raise forms.ValidationError(gettext("Choose at least one item the dispute is about."))
        data["lines"] = chosen
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "reason": d["reason"],
            "solution": d["solution"],
            "amount_minor": d["amount"],
            "description": d["description"],
            "lines": d["lines"],
            "files": d.get("files") or [],
        }


class ProposalUpdateForm(_CurrencyForm):
    """DSP-4: the buyer's new proposal after a refusal (the seller's 5 days start again)."""

    auto_id_prefix = "update"

    solution = forms.ChoiceField(
        label=_("What you ask for now"),
        choices=_choices(_ordered(Solution, DISPUTE_SOLUTIONS)),
        widget=forms.RadioSelect,
    )
    amount = forms.CharField(label=_("Refund"), max_length=AMOUNT_MAX_CHARS)
    description = forms.CharField(
        label=_("What changed (optional)"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    files = EvidenceFilesField()

    def clean_amount(self) -> int | None:
        return self._amount("amount")

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "solution": d["solution"],
            "amount_minor": d["amount"],
            "description": d.get("description", ""),
            "files": d.get("files") or [],
        }


class CounterProposalForm(_CurrencyForm):
    """DSP-2 / DSP-4: the seller refuses with a counter-proposal (for a warranty request: a note)."""

    auto_id_prefix = "refuse"

    amount_field = "counter_amount"

    counter_solution = forms.ChoiceField(
        label=_("What you offer instead"),
        choices=_choices(_ordered(Solution, DISPUTE_SOLUTIONS)),
        widget=forms.RadioSelect,
    )
    counter_amount = forms.CharField(
        label=_("Refund you offer"),
        max_length=AMOUNT_MAX_CHARS,
    )
    note = forms.CharField(
        label=_("Why you disagree"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    files = EvidenceFilesField()

    def __init__(self, *args, warranty: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.warranty = warranty
        if warranty:  # WAR-1: a refusal sends the request to the dispute team; no counter-offer
            del self.fields["counter_solution"]
            del self.fields["counter_amount"]
        else:
            self.fields["counter_amount"].help_text = gettext("0 when you offer no refund. ") + str(
                self.fields["counter_amount"].help_text
            )

    def clean_counter_amount(self) -> int | None:
        return self._amount("counter_amount", allow_zero=True)

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        kwargs = {"note": d["note"], "files": d.get("files") or []}
        if not self.warranty:
            kwargs.update(counter_solution=d["counter_solution"], counter_amount_minor=d["counter_amount"])
        return kwargs


class AgreeForm(PageForm):
    """DSP-2: the seller agrees to the buyer's request, with an optional note."""

    auto_id_prefix = "agree"

    note = forms.CharField(
        label=_("Note to the buyer (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def service_kwargs(self) -> dict:
        return {"note": self.cleaned_data.get("note", "")}


class ReturnObjectionForm(PageForm):
    """DSP-3: the seller objects to what came back (or that nothing came): the team decides."""

    auto_id_prefix = "object"

    note = forms.CharField(
        label=_("What is wrong with the returned goods"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    files = EvidenceFilesField()

    def service_kwargs(self) -> dict:
        return {"note": self.cleaned_data["note"], "files": self.cleaned_data.get("files") or []}


class MessageForm(PageForm):
    """DSP-6: a message inside the dispute, with evidence files (a message may be files only)."""

    auto_id_prefix = "message"

    text = forms.CharField(
        label=_("Message"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    files = EvidenceFilesField()

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("files") and not self.errors:
            raise forms.ValidationError(gettext("Write a message or add a file."))
        return data

    def service_kwargs(self) -> dict:
        return {"text": self.cleaned_data.get("text", ""), "files": self.cleaned_data.get("files") or []}


class ReturnTrackingForm(PageForm):
    """DSP-3: the return parcel's carrier and tracking number."""

    auto_id_prefix = "tracking"

    carrier = forms.CharField(label=_("Carrier"), max_length=80)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=80)

    def service_kwargs(self) -> dict:
        return {
            "carrier": self.cleaned_data["carrier"],
            "tracking_number": self.cleaned_data["tracking_number"],
        }


class ReshipForm(ReturnTrackingForm):
    """WAR-1: the seller's parcel with the repaired or replacement item."""

    auto_id_prefix = "reship"


class ReopenForm(PageForm):
    """WAR-1: the buyer reopens the request to the dispute team: what is still wrong."""

    auto_id_prefix = "reopen"

    note = forms.CharField(
        label=_("What is still wrong"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def service_kwargs(self) -> dict:
        return {"note": self.cleaned_data["note"]}


class WarrantyForm(_CurrencyForm):
    """WAR-1: repair, replacement or refund of warranty items."""

    solution = forms.ChoiceField(
        label=_("What do you ask for?"),
        choices=_choices(_ordered(Solution, WARRANTY_SOLUTIONS)),
        widget=forms.RadioSelect,
    )
    amount = forms.CharField(
        label=_("Refund you ask for"),
        max_length=AMOUNT_MAX_CHARS,
        required=False,
        help_text=_("Only for a refund."),
    )
    description = forms.CharField(
        label=_("Describe the fault"), max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )
    files = EvidenceFilesField()

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = [
            line
            for line in order.lines.select_related("variant__product")
            if line.variant is not None and line.variant.product.warranty
        ]
        self.line_fields = []
        for line in self.order_lines:
            name = f"qty_{line.pk}"
            self.fields[name] = forms.IntegerField(
                label=gettext("How many of “%(title)s”") % {"title": line.product_title},
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
                required=False,
            )
            self.line_fields.append((line, name))

    def line_bound_fields(self):
        return [(line, self[name]) for line, name in self.line_fields]

    def clean_amount(self) -> int | None:
        return self._amount("amount")

    def clean(self):
        data = super().clean()
        if data.get("solution") == Solution.REFUND and not data.get("amount") and "amount" not in self.errors:
            self.add_error("amount", gettext("Enter the refund you ask for."))
        chosen = [
            {"line_id": line.pk, "quantity": data[name]} for line, name in self.line_fields if data.get(name)
        ]
        if self.line_fields and not chosen and not any(self.errors.get(n) for _l, n in self.line_fields):
            raise forms.ValidationError(gettext("Choose at least one item the request is about."))
        data["lines"] = chosen
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "solution": d["solution"],
            "amount_minor": d.get("amount") or 0,
            "description": d["description"],
            "lines": d["lines"],
            "files": d.get("files") or [],
        }


class EvidenceRequestForm(PageForm):
    """DSP-5: the team asks one side for more evidence by a deadline (a date and time in a time zone)."""

    auto_id_prefix = "evidence"

    party = forms.ChoiceField(label=_("Ask"), choices=_choices(Party), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("What is needed"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_at = forms.DateTimeField(
        label=_("Deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=_("In UTC."),
    )

    def __init__(self, *args, now: dt.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now

    def clean_due_at(self) -> dt.datetime:
        value = self.cleaned_data["due_at"]
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(zoneinfo.ZoneInfo("UTC"))
        if value <= self.now:
            raise forms.ValidationError(gettext("Give a deadline in the future."))
        return value

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"party": d["party"], "note": d["note"], "due_at": d["due_at"]}


class DecisionForm(_CurrencyForm):
    """DSP-5: full, partial or no refund, with or without return, and a note kept with the decision."""

    auto_id_prefix = "decide"

    outcome = forms.ChoiceField(label=_("Decision"), choices=_choices(Outcome), widget=forms.RadioSelect)
    amount = forms.CharField(label=_("Partial refund"), max_length=AMOUNT_MAX_CHARS, required=False)
    with_return = forms.BooleanField(label=_("The buyer sends the goods back first"), required=False)
    note = forms.CharField(
        label=_("Reasons (shown to both sides)"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_amount(self) -> int | None:
        return self._amount("amount")

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == Outcome.PARTIAL and data.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", gettext("Enter the amount of the partial refund."))
        if outcome == Outcome.NONE and data.get("with_return"):
            self.add_error("with_return", gettext("A decision without a refund has no return."))
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "outcome": d["outcome"],
            "amount_minor": d.get("amount"),
            "with_return": bool(d.get("with_return")),
            "note": d["note"],
        }
