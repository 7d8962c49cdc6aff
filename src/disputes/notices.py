"""Who is told what about a dispute (NTF-1): opened, answered, escalated, decided, refund made,
messages, and 24 h reminders. Each notice is keyed by the event that caused it."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from core.i18n import choice_label, lazy_text
from core.money import Money
from notifications.services import notify_many


def buyer_url(dispute) -> str:
    return f"/orders/{dispute.order.number}/dispute/"


def seller_url(dispute) -> str:
    return f"/seller/orders/{dispute.order.number}/dispute/"


def _when(instant: dt.datetime | None) -> str:
    return f"{instant:%Y-%m-%d %H:%M} UTC" if instant else "—"


def _note(dispute, party: str, key: str, subject: str, body: str) -> dict:
    order = dispute.order
    return {
        "user_id": order.buyer_id if party == "buyer" else order.store.owner_id,
        "kind": f"dispute_{key.split(':', 1)[0]}",
        "event_key": f"dispute:{dispute.pk}:{key}:{party}",
        "subject": subject,
        "body": body,
        "url": buyer_url(dispute) if party == "buyer" else seller_url(dispute),
    }


def _send(dispute, parties: tuple[str, ...], key: str, subject: str, body: str, now: dt.datetime) -> None:
    notify_many([_note(dispute, party, key, subject, body) for party in parties], now=now)


def _step(dispute) -> str:
    return f"{dispute.state}:{dispute.events.count()}"


def opened(dispute, *, now: dt.datetime, updated: bool = False) -> None:
    n = dispute.order.number
    what = _("updated the request") if updated else _("opened a dispute")
    subject = lazy_text(_("Dispute on order %(n)s"), {"n": n})
    seller_body = lazy_text(
        _("The buyer %(what)s on order %(n)s. Answer by %(due)s, or the request is granted."),
        {"what": what, "n": n, "due": _when(dispute.due_at)},
    )
    if dispute.state == "team_review":
        seller_body = lazy_text(
            _("The buyer opened a dispute on order %(n)s; the dispute team reviews it."),
            {"n": n},
        )
    _send(dispute, ("seller",), f"opened:{_step(dispute)}", subject, seller_body, now)
    _send(
        dispute,
        ("buyer",),
        f"opened:{_step(dispute)}",
        subject,
        lazy_text(
            _("Your dispute on order %(n)s is open: %(state)s."),
            {"n": n, "state": choice_label(dispute, "state")},
        ),
        now,
    )


def answered(dispute, *, now: dt.datetime) -> None:
    n = dispute.order.number
    _send(
        dispute,
        ("buyer",),
        f"answered:{_step(dispute)}",
        lazy_text(_("The seller answered your dispute on %(n)s"), {"n": n}),
        lazy_text(
            _("The seller disagrees and proposes another solution. Accept it or change your request by "
              "%(due)s."),
            {"due": _when(dispute.due_at)},
        ),
        now,
    )


def escalated(dispute, *, now: dt.datetime) -> None:
    n = dispute.order.number
    _send(
        dispute,
        ("buyer", "seller"),
        f"escalated:{_step(dispute)}",
        lazy_text(_("The dispute on order %(n)s went to the dispute team"), {"n": n}),
        _("The dispute team reviews the timeline and evidence and will decide."),
        now,
    )


def return_agreed(dispute, *, now: dt.datetime) -> None:
    n = dispute.order.number
    _send(
        dispute,
        ("buyer",),
        f"return:{_step(dispute)}",
        lazy_text(_("Send the goods of order %(n)s back"), {"n": n}),
        lazy_text(
            _("Send the goods back with a tracked service and enter the tracking number by %(due)s."),
            {"due": _when(dispute.due_at)},
        ),
        now,
    )


def return_shipped(dispute, *, now: dt.datetime) -> None:
    n = dispute.order.number
    _send(
        dispute,
        ("seller",),
        f"return:{_step(dispute)}",
        lazy_text(_("The goods of order %(n)s are on their way back"), {"n": n}),
        lazy_text(_("Confirm that they arrived by %(due)s."), {"due": _when(dispute.due_at)}),
        now,
    )


def repairing(dispute, *, now: dt.datetime) -> None:
    """WAR-1: the seller has the item; the buyer learns by when it comes back."""
    _send(
        dispute,
        ("buyer",),
        f"repair:{_step(dispute)}",
        lazy_text(_("Your item of order %(n)s arrived at the seller"), {"n": dispute.order.number}),
        lazy_text(
            _("The seller sends it back repaired, or a replacement, with tracking by %(due)s."),
            {"due": _when(dispute.due_at)},
        ),
        now,
    )


def reshipped(dispute, *, now: dt.datetime) -> None:
    """WAR-1: the repaired or replacement item is on its way to the buyer."""
    _send(
        dispute,
        ("buyer",),
        f"reship:{_step(dispute)}",
        lazy_text(
            _("Your repaired or replacement item of order %(n)s is on its way"),
            {"n": dispute.order.number},
        ),
        lazy_text(
            _("Tracking: %(carrier)s %(number)s. Confirm it is fine, or reopen the request, by %(due)s."),
            {
                "carrier": dispute.reship_carrier,
                "number": dispute.reship_tracking_number,
                "due": _when(dispute.due_at),
            },
        ),
        now,
    )


def evidence_requested(dispute, *, now: dt.datetime) -> None:
    n = dispute.order.number
    _send(
        dispute,
        (dispute.evidence_party,),
        f"evidence:{_step(dispute)}",
        lazy_text(_("More evidence needed for the dispute on order %(n)s"), {"n": n}),
        lazy_text(
            _("The dispute team asks: %(note)s Send it by %(due)s."),
            {"note": dispute.evidence_note, "due": _when(dispute.due_at)},
        ),
        now,
    )


def decided(dispute, *, now: dt.datetime) -> None:
    n = dispute.order.number
    _send(
        dispute,
        ("buyer", "seller"),
        f"decided:{_step(dispute)}",
        lazy_text(_("The dispute team decided the dispute on order %(n)s"), {"n": n}),
        lazy_text(
            _("Decision: %(outcome)s. %(note)s"),
            {"outcome": choice_label(dispute, "outcome"), "note": dispute.decision_note},
        ),
        now,
    )


def closed(dispute, *, now: dt.datetime) -> None:
    n = dispute.order.number
    _send(
        dispute,
        ("buyer", "seller"),
        f"closed:{dispute.state}",
        lazy_text(_("The dispute on order %(n)s is closed"), {"n": n}),
        choice_label(dispute, "state"),
        now,
    )


def refunded(dispute, amount_minor: int, *, now: dt.datetime) -> None:
    n = dispute.order.number
    amount = Money(amount_minor, dispute.currency)
    _send(
        dispute,
        ("buyer", "seller"),
        f"refund:{amount_minor}",
        lazy_text(_("Refund of %(amount)s on order %(n)s"), {"amount": amount, "n": n}),
        lazy_text(
            _("%(amount)s is refunded to the buyer for the dispute on order %(n)s."),
            {"amount": amount, "n": n},
        ),
        now,
    )


def message(dispute, msg, *, now: dt.datetime) -> None:
    others = tuple(p for p in ("buyer", "seller") if p != msg.role)
    _send(
        dispute,
        others,
        f"message:{msg.pk}",
        lazy_text(_("New message in the dispute on order %(n)s"), {"n": dispute.order.number}),
        msg.text[:500],
        now,
    )


REMINDERS = {
    "dispute_seller_answer": _(
        "Answer the dispute on order %(n)s by %(due)s, or the request is granted."
    ),
    "dispute_settle": _(
        "Settle the dispute on order %(n)s by %(due)s, or it goes to the dispute team."
    ),
    "dispute_return_ship": _(
        "Send the goods of order %(n)s back and enter the tracking by %(due)s."
    ),
    "dispute_return_confirm": _("Confirm the returned goods of order %(n)s by %(due)s."),
    "dispute_evidence": _("Send the evidence asked for on order %(n)s by %(due)s."),
    "warranty_reship": _(
        "Send the repaired or replacement item of order %(n)s with tracking by %(due)s, or the "
        "dispute team takes the request."
    ),
    "warranty_outcome": _(
        "Tell us by %(due)s whether the repaired or replacement item of order %(n)s is fine."
    ),
}


def reminder(dispute, kind: str, party: str, due: dt.datetime, *, now: dt.datetime) -> None:
    body = lazy_text(REMINDERS[kind], {"n": dispute.order.number, "due": _when(due)})
    _send(
        dispute,
        (party,),
        f"remind:{kind}:{due.isoformat()}",
        _("Reminder: a dispute deadline is close"),
        body,
        now,
    )
