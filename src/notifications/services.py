"""Notify a person of an event: an in-site notice now, an email after commit."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from notifications.models import Notice


def notify(
    *, user, kind: str, event_key: str, subject: str, body: str, url: str = "", now: dt.datetime
) -> Notice | None:
    """Record a notice for `user` about the event `event_key` and enqueue its email.

    Returns None when this person was already notified of this event.
    """
    if Notice.objects.filter(user=user, event_key=event_key).exists():
        return None
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                user=user,
                kind=kind,
                event_key=event_key,
                subject=subject[:200],
                body=body,
                url=url,
                created_at=now,
            )
    except IntegrityError:  # a concurrent firing notified first
        return None
    from notifications.tasks import notice_email

    notice_email.enqueue(notice.pk)
    return notice
