"""The back office's front door: /backoffice/ (OPS-1).

One page that lists every staff screen with what is waiting there, so the dispute
team, payment reviewers and help editors start from the same place. The screens
themselves live with their business areas (appeals, disputes, returns, refunds,
coupons, help); this module only knows their URL names and, for the queues, the
selector that counts what is waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Screen:
    title: str
    url_name: str
    about: str
    waiting: str = ""  # dotted path of a function returning a QuerySet of what waits there


SCREENS: tuple[Screen, ...] = (
    Screen(_("Dispute team queue"), "backoffice_disputes:queue",
           _("Escalated disputes and disputes waiting for evidence, soonest deadline first (DSP-5)."),
           "disputes.selectors.team_queue"),
    Screen(_("Card verification appeals"), "backoffice_appeals:queue",
           _("Payments held for verification; decide within the SLA (PAY-3)."),
           "appeals.selectors.review_queue"),
    Screen(_("Free Return inspections"), "backoffice_returns:queue",
           _("Parcels at the warehouse waiting for the units-in-good-condition report (RET-4)."),
           "returns.selectors.inspection_queue"),
    Screen(_("Refunds"), "backoffice_refunds:search",
           _("Find an order and make a partial refund to where its payment came from (RFD-1).")),
    Screen(_("Platform coupons and promo codes"), "backoffice_coupons:list",
           _("Platform-funded coupons and codes: create, edit, pause, see redemptions (CPN-1).")),
    Screen(_("Sale pages"), "backoffice_sale_pages:list",
           _("Campaigns where buyers collect platform coupons (CPN-4).")),
    Screen(_("Help center"), "backoffice_help:list",
           _("Edit articles, see the votes (least helpful first) and customs data (HLP-1, HLP-3).")),
    Screen(_("Demo clock"), "demo_clock", _("Move the demo site's time to watch deadlines fire.")),
    Screen(_("Database admin"), "admin:index", _("Every record, for corrections by hand.")),
)


def _tiles() -> list[dict]:
    tiles = []
    for screen in SCREENS:
        try:
            url = reverse(screen.url_name)
        except NoReverseMatch:  # an area that is not installed in this deployment
            continue
        waiting = import_string(screen.waiting)().count() if screen.waiting else None
        tiles.append({"screen": screen, "url": url, "waiting": waiting})
    return tiles


def staff_required(view):
    """Active staff only (OPS-1): anonymous visitors sign in first, anybody else gets 404 (the
    back office does not admit that a screen exists)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_staff and user.is_active):
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def backoffice_index(request: HttpRequest) -> HttpResponse:
    return render(request, "core/backoffice_index.html", {"tiles": _tiles()})
