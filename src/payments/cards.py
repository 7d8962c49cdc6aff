"""Saved cards (PAY-1): save with "Save this card", list, pay with one, remove with the
account password. The card itself lives at the provider; we keep its token, brand, last
four digits and expiry (payments.models.SavedCard)."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, NotFound
from deadlines.rows import db_datetime, sql_row
from payments.declines import decline_error
from payments.models import ProviderCustomer, SavedCard
from payments.providers import PaymentProvider, ProviderError


def saved_cards(*, owner, provider: str | None = None):
    cards = SavedCard.objects.filter(owner=owner)
    return cards.filter(provider=provider) if provider else cards


def provider_customer_ref(*, user, provider: PaymentProvider, now: dt.datetime) -> str:
    """The provider's customer for `user`, created once."""
    existing = ProviderCustomer.objects.filter(user=user, provider=provider.name).first()
    if existing:
        return existing.ref
    ref = provider.customer_create(
        email=user.email, reference=str(user.pk), idempotency_key=f"customer:{provider.name}:{user.pk}"
    )
    try:
        with transaction.atomic():
            ProviderCustomer.objects.create(user=user, provider=provider.name, ref=ref, created_at=now)
    except IntegrityError:  # created meanwhile by a parallel request (same idempotency key)
        return ProviderCustomer.objects.get(user=user, provider=provider.name).ref
    return ref


_CARD_FIELDS = ("id", "owner_id", "provider", "token", "brand", "last4", "exp_month", "exp_year",
                "created_at")
_CARD_BY_TOKEN_SQL = (
    'SELECT "id", "owner_id", "provider", "token", "brand", "last4", "exp_month", "exp_year", '
    '"created_at" FROM "payments_savedcard" WHERE "provider" = %s AND "token" = %s'
)
_CARD_ID_SQL = '(SELECT c."id" FROM "payments_savedcard" c WHERE c."provider" = %s AND c."token" = %s)'
UNKNOWN = object()


def saved_card_id_sql(*, provider: PaymentProvider, token: str) -> tuple[str, list]:
    """The id of the saved card with this token (anyone's, or NULL) as a scalar subquery (sql,
    params), for a caller to read it within a statement it runs anyway and pass it to
    saved_card_for_token."""
    return _CARD_ID_SQL, [provider.name, token]


def saved_card_for_token(
    *, owner, provider: PaymentProvider, token: str, card_id=UNKNOWN
) -> SavedCard | None:
    """The buyer's saved card with this token; someone else's saved card is refused.

    `card_id`: the value of saved_card_id_sql() when the caller read it already (None: no query)."""
    if card_id is None:
        return None
    row = sql_row(_CARD_BY_TOKEN_SQL, [provider.name, token])  # at most one: (provider, token) is unique
    if row is None:
        return None
    created = db_datetime(row[-1])  # SQLite: text, or a naive UTC datetime
    created = created.replace(tzinfo=dt.UTC) if created.tzinfo is None else created
    card = SavedCard.from_db(connection.alias, _CARD_FIELDS, [*row[:-1], created])
    if card.owner_id != owner.pk:
        raise DomainError(
            _("Choose one of your own cards."),
            code="unknown_card",
            fields={"token": [_("This is not one of your saved cards.")]},
            status=422,
        )
    return card


def saved_card_create(*, owner, provider: PaymentProvider, token: str, now: dt.datetime) -> SavedCard:
    """ "Save this card": attach the token to the owner's provider customer. A card the
    provider refuses raises the PAY-2 decline; saving the same token twice is one card."""
    existing = saved_card_for_token(owner=owner, provider=provider, token=token)
    if existing:
        return existing
    customer = provider_customer_ref(user=owner, provider=provider, now=now)
    try:
        details = provider.card_save(token=token, customer_ref=customer)
    except ProviderError as exc:
        raise decline_error(exc.code, prefix="We could not save this card.") from exc
    try:
        with transaction.atomic():
            return SavedCard.objects.create(
                owner=owner,
                provider=provider.name,
                token=details.token,
                brand=details.brand,
                last4=details.last4,
                exp_month=details.exp_month,
                exp_year=details.exp_year,
                created_at=now,
            )
    except IntegrityError:
        return SavedCard.objects.get(provider=provider.name, token=details.token)


def saved_card_remove(*, owner, card_id: int, password: str, provider: PaymentProvider | None = None) -> None:
    """PAY-1: remove a saved card after the owner re-enters the account password.
    Another person's card is "not found"; a wrong password keeps the card."""
    from payments.providers import get_provider

    card = SavedCard.objects.filter(pk=card_id, owner=owner).first()
    if card is None:
        raise NotFound(_("There is no such saved card."), code="card_not_found")
    if not password or not owner.check_password(password):
        raise DomainError(
            _("The password is not right, so the card was kept."),
            code="wrong_password",
            fields={"password": [_("Enter your account password to remove this card.")]},
            status=422,
        )
    provider = provider or get_provider(card.provider)
    with contextlib.suppress(ProviderError):  # already gone at the provider: forget it here too
        provider.card_remove(token=card.token)
    card.delete()


def saved_card_remove_refused(*, card: SavedCard) -> None:
    """A card saved during a pay attempt that the provider then refused is not kept."""
    from payments.providers import get_provider

    with contextlib.suppress(ProviderError):
        get_provider(card.provider).card_remove(token=card.token)
    card.delete()
