"""Notice reads for the notice center and the header badge (NTF-1)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.errors import NotFound
from notifications.models import Notice


def notice_list(*, user, unread_only: bool = False) -> QuerySet[Notice]:
    """The person's notices, newest first."""
    notices = Notice.objects.filter(user=user)
    if unread_only:
        notices = notices.filter(read_at__isnull=True)
    return notices.order_by("-created_at", "-id")


def notice_unread_count(*, user) -> int:
    """Unread notices of the person: one COUNT on the (user, read_at) index."""
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def notice_get(*, user, notice_id) -> Notice:
    """One of the person's notices; someone else's is simply not found."""
    try:
        return Notice.objects.get(pk=int(notice_id), user=user)
    except (Notice.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("There is no such notice.")) from None
