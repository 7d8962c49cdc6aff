"""Who is told what about a return (NTF-1). Each notice is keyed by the event that caused it."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from core.i18n import lazy_text
from core.money import Money, format_money
from notifications.services import notify_many
from returns.models import ReturnRequest


def buyer_url(request: ReturnRequest) -> str:
    return f"/returns/{request.pk}/"


def seller_url(request: ReturnRequest) -> str:
    return f"/seller/returns/{request.pk}/"


def _when(instant: dt.datetime) -> str:
    return f"{instant.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def _note(request: ReturnRequest, *, to_seller: bool, kind: str, key: str, subject: str, body: str) -> dict:
    order = request.order
    return {
        "user_id": order.store.owner_id if to_seller else request.buyer_id,
        "kind": kind,
        "event_key": f"return:{request.pk}:{key}",
        "subject": subject,
        "body": body,
        "url": seller_url(request) if to_seller else buyer_url(request),
    }


def code_issued(request: ReturnRequest, *, now: dt.datetime) -> None:
    order = request.order
    cost = (
        _("This is the order's free return: the return shipping costs you nothing.")
        if request.is_free
        else _("This order already used its free return, so you pay the return shipping at the "
               "drop-off point.")
    )
    notify_many([
        _note(
            request, to_seller=False, kind="return_code_issued", key="code_issued",
            subject=lazy_text(
                _("Your return code for order %(number)s: %(code)s"),
                {"number": order.number, "code": request.return_code},
            ),
            body=lazy_text(
                _("Pack the items in their original packaging and take the parcel with the code %(code)s "
                  "to %(point)s by %(due)s. %(cost)s You do not need to confirm anything afterwards: the "
                  "return provider tells us when the parcel moves."),
                {"code": request.return_code, "point": request.return_point,
                 "due": _when(request.code_expires_at), "cost": cost},
            ),
        ),
        _note(
            request, to_seller=True, kind="return_started", key="started",
            subject=lazy_text(_("A Free Return was started on order %(number)s"), {"number": order.number}),
            body=lazy_text(
                _("The buyer is sending items back through %(provider)s. The payment for the order stays "
                  "on hold until the warehouse has checked the parcel and the refund is decided."),
                {"provider": request.get_provider_name()},
            ),
        ),
    ], now=now)


def received(request: ReturnRequest, *, now: dt.datetime) -> None:
    order = request.order
    body = lazy_text(
        _("The return parcel of order %(number)s has arrived at the warehouse. It is checked next, then "
          "the refund is made for the items in good condition."),
        {"number": order.number},
    )
    subject = lazy_text(_("Return parcel received for order %(number)s"), {"number": order.number})
    notify_many([
        _note(request, to_seller=False, kind="return_received", key="received", subject=subject, body=body),
        _note(request, to_seller=True, kind="return_received", key="received", subject=subject, body=body),
    ], now=now)


def inspected(request: ReturnRequest, *, good: int, sent: int, now: dt.datetime) -> None:
    order = request.order
    amount = format_money(Money(request.refund_minor or 0, request.currency))
    if request.refund_minor:
        buyer_body = lazy_text(
            _("The warehouse found %(good)s of the %(sent)s returned items in good condition: %(amount)s "
              "is refunded to you."),
            {"good": good, "sent": sent, "amount": amount},
        )
    else:
        buyer_body = lazy_text(
            _("The warehouse found none of the %(sent)s returned items in a condition that can be "
              "refunded, so no refund is made."),
            {"sent": sent},
        )
    notify_many([
        _note(
            request, to_seller=False, kind="return_refunded", key="inspected",
            subject=lazy_text(
                _("Return of order %(number)s: refund of %(amount)s"),
                {"number": order.number, "amount": amount},
            ),
            body=buyer_body,
        ),
        _note(
            request, to_seller=True, kind="return_refunded", key="inspected",
            subject=lazy_text(
                _("Return of order %(number)s checked: %(amount)s refunded"),
                {"number": order.number, "amount": amount},
            ),
            body=lazy_text(
                _("%(good)s of %(sent)s returned items arrived in good condition; %(amount)s was refunded "
                  "to the buyer from the payment held for this order."),
                {"good": good, "sent": sent, "amount": amount},
            ),
        ),
    ], now=now)


def code_expiring(request: ReturnRequest, due: dt.datetime, *, now: dt.datetime) -> None:
    notify_many([
        _note(
            request, to_seller=False, kind="return_code_reminder", key=f"remind:{due.isoformat()}",
            subject=lazy_text(_("Your return code %(code)s expires soon"), {"code": request.return_code}),
            body=lazy_text(
                _("Drop the parcel off at %(point)s before %(due)s, or the code expires and the return is "
                  "dropped."),
                {"point": request.return_point, "due": _when(due)},
            ),
        )
    ], now=now)


def code_expired(request: ReturnRequest, *, now: dt.datetime) -> None:
    order = request.order
    notify_many([
        _note(
            request, to_seller=False, kind="return_code_expired", key="expired",
            subject=lazy_text(_("Your return code %(code)s has expired"), {"code": request.return_code}),
            body=lazy_text(
                _("The parcel was not dropped off in time, so this return is dropped and nothing is "
                  "refunded. While the Free Return window of order %(number)s is open you can start a new "
                  "return from the order page."),
                {"number": order.number},
            ),
        ),
        _note(
            request, to_seller=True, kind="return_code_expired", key="expired",
            subject=lazy_text(_("Return on order %(number)s dropped"), {"number": order.number}),
            body=_("The buyer did not drop the parcel off in time; the return is dropped."),
        ),
    ], now=now)
