"""The demo clock's back-office page: /backoffice/clock/.

Only when settings.DEMO_CLOCK is on (`make run`; the production settings refuse
it) — otherwise the page does not exist (404). Staff only: anonymous visitors
are sent to sign in, other people get 403. Staff move the site's time forward
("7d", "36h", "90m"), put it back on real time, or fire what became due right
away (the deadline worker started by `make run` does that within a second
anyway). Every change is written to the audit log (core.AuditLog) with the
staff member, the real time and the offset.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.clock import (
    DemoClockDisabled,
    demo_clock_advance,
    demo_clock_enabled,
    demo_clock_reset,
    demo_offset,
    now,
    parse_duration,
    real_now,
)

QUICK_STEPS = ["1h", "1d", "2d", "7d", "15d"]
FIRE_MAX_BATCHES = 20  # a page request fires at most this many batches; the worker does the rest


@require_http_methods(["GET", "POST"])
def demo_clock_page(request: HttpRequest) -> HttpResponse:
    if not demo_clock_enabled():
        raise Http404("The demo clock is off.")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_staff:
        raise PermissionDenied("Only staff may move the site's clock.")
    errors: dict[str, str] = {}
    notice = ""
    if request.method == "POST":
        errors, notice = _act(request)
        if request.htmx:  # htmx swaps only 2xx answers: the panel carries the error itself
            return render(request, "core/_clock_panel.html", _context(request, errors, notice))
        if errors:
            return render(request, "core/clock.html", _context(request, errors), status=422)
        messages.success(request, notice)
        return redirect("demo_clock")  # post/redirect/get
    template = "core/_clock_panel.html" if request.htmx else "core/clock.html"
    return render(request, template, _context(request, errors))


def _act(request: HttpRequest) -> tuple[dict[str, str], str]:
    """Carry out the posted action; returns (field errors, what was done). Nothing changes when
    there are errors."""
    action = request.POST.get("action", "")
    try:
        if action == "advance":
            text = request.POST.get("duration", "")
            try:
                offset = demo_clock_advance(parse_duration(text), actor=request.user, via="back office")
            except ValueError as exc:
                return {"duration": str(exc)}, ""
            return {}, (f"The site's clock moved forward by {text.strip()}; it now runs "
                        f"{_offset_text(offset)} ahead of real time.")
        if action == "reset":
            demo_clock_reset(actor=request.user, via="back office")
            return {}, "The site's clock is back on real time."
        if action == "fire":
            fired = _fire_due(request)
            return {}, f"{fired} due deadline{'s' if fired != 1 else ''} handled."
    except DemoClockDisabled as exc:  # switched off between the check and now
        raise Http404(str(exc)) from exc
    return {"action": "Choose what to do: move the clock forward, reset it or fire what is due."}, ""


def _fire_due(request: HttpRequest) -> int:
    from core.audit import audit_record
    from deadlines.worker import deadlines_fire_due

    total, at = 0, now()
    for _ in range(FIRE_MAX_BATCHES):
        fired = deadlines_fire_due(now=at, batch_size=200)
        total += fired
        if fired < 200:
            break
    audit_record(actor=request.user, action="demo_clock.fire_due",
                 data={"site_time": at.isoformat(), "handled": total}, at=real_now())
    return total


def _offset_text(offset) -> str:
    seconds = int(offset.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p) or "0 min"


def _context(request: HttpRequest, errors: dict[str, str], notice: str = "") -> dict:
    from core.models import AuditLog
    from deadlines.models import Deadline, Status

    site_now = now()
    offset = demo_offset()
    pending = Deadline.objects.filter(status=Status.PENDING)
    upcoming = list(pending.order_by("due_at", "pk")[:12])
    for deadline in upcoming:
        deadline.admin_url = _subject_admin_url(deadline)
    history = list(AuditLog.objects.filter(action__startswith="demo_clock.").select_related("actor")[:10])
    for entry in history:
        entry.offset_text = _offset_text(dt.timedelta(seconds=entry.data.get("offset_seconds", 0)))
    return {
        "site_now": site_now,
        "real_now": real_now(),
        "offset": offset,
        "offset_text": _offset_text(offset),
        "ahead": offset.total_seconds() > 0,
        "due_now": pending.filter(due_at__lte=site_now).count(),
        "upcoming": upcoming,
        "quick_steps": QUICK_STEPS,
        "errors": errors,
        "notice": notice,
        "duration_value": request.POST.get("duration", "") if errors else "",
        "history": history,
    }


def _subject_admin_url(deadline) -> str:
    if deadline.subject_type != "order":
        return ""
    return reverse("admin:orders_order_change", args=[deadline.subject_id])
