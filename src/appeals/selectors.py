"""Reads for appeals (PAY-3): the buyer's appeals, one appeal, the staff queue."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from appeals.models import Appeal, AppealState
from core.errors import NotFound


def buyer_appeals(*, buyer) -> QuerySet[Appeal]:
    return Appeal.objects.filter(buyer=buyer).select_related("payment").prefetch_related("orders")


def buyer_appeal_get(*, buyer, appeal_id: int) -> Appeal:
    """One of the buyer's appeals; another person's is simply not found."""
    appeal = buyer_appeals(buyer=buyer).prefetch_related("documents").filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound(_("No such appeal."))
    return appeal


def review_queue() -> QuerySet[Appeal]:
    """Appeals under review, the one due soonest first (overdue ones stay, on top)."""
    return (
        Appeal.objects.filter(state=AppealState.UNDER_REVIEW)
        .select_related("buyer", "payment")
        .prefetch_related("orders", "documents")
        .order_by(F("review_due_at").asc(nulls_last=True), "pk")
    )


def staff_appeal_get(*, appeal_id: int) -> Appeal:
    appeal = (
        Appeal.objects.select_related("buyer", "payment", "decided_by")
        .prefetch_related("orders", "documents")
        .filter(pk=appeal_id)
        .first()
    )
    if appeal is None:
        raise NotFound(_("No such appeal."))
    return appeal


def is_overdue(appeal: Appeal, now: dt.datetime) -> bool:
    return (
        appeal.state == AppealState.UNDER_REVIEW
        and appeal.review_due_at is not None
        and appeal.review_due_at <= now
    )


def countdown(appeal: Appeal, now: dt.datetime) -> str:
    """"2 d 4 h left" / "overdue by 3 h" for the review deadline ("" when none runs)."""
    if appeal.state != AppealState.UNDER_REVIEW or appeal.review_due_at is None:
        return ""
    delta = appeal.review_due_at - now
    late = delta.total_seconds() <= 0
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    text = f"{days} d {hours} h" if days else f"{hours} h {minutes} min"
    return f"overdue by {text}" if late else f"{text} left"
