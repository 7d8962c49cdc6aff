"""Account reads."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Address, User
from core.errors import NotFound


def address_list(*, user: User) -> QuerySet[Address]:
    """The person's address book, the default first, then newest first."""
    return Address.objects.filter(user=user).order_by("-is_default", "-created_at", "-pk")


def address_get(*, user: User, address_id: Any) -> Address:
    """One of the person's addresses; someone else's address is simply not found."""
    try:
        return Address.objects.get(pk=int(address_id), user=user)
    except (Address.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("This address is not in your address book.")) from None


def address_default(*, user: User) -> Address | None:
    return Address.objects.filter(user=user, is_default=True).first()
