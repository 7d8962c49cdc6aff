from django.conf import settings
from django.utils.functional import SimpleLazyObject

from core.countries import country_choices
from core.money import currencies


def _wish_and_notice_counts(request) -> tuple[int, int]:
    """The wish-list count and the unread-notice count (NTF-1) of the header, in one query.

    Two scalar subqueries on the user's row, run the first time either badge is shown and
    kept on the request, so the notice badge adds no query to a page.
    """
    cached = getattr(request, "_wish_notice_counts", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0, 0
    from django.contrib.auth import get_user_model
    from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from notifications.models import Notice
    from wishlist.models import WishItem

    def count(queryset):
        rows = queryset.filter(user=OuterRef("pk")).order_by().values("user").annotate(n=Count("pk"))
        return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), Value(0))

    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            wish=count(WishItem.objects.all()),
            unread=count(Notice.objects.filter(read_at__isnull=True)),
        )
        .values_list("wish", "unread")
        .first()
    )
    request._wish_notice_counts = row or (0, 0)
    return request._wish_notice_counts


def _wish_count(request) -> int:
    return _wish_and_notice_counts(request)[0]


def _cart_count(request) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from cart.selectors import cart_count

    return cart_count(user=user)


def _notice_count(request) -> int:
    return _wish_and_notice_counts(request)[1]


def site(request):
    return {
        "SITE_NAME": "Hmong Artisans",
        "DEBUG": settings.DEBUG,
        "visitor_country": getattr(request, "visitor_country", "US"),
        "display_currency": getattr(request, "display_currency", ""),
        "country_choices": country_choices,
        "currency_codes": list(currencies()),
        # Header badges (WSH-1, cart): lazy, so a page that does not show them
        # costs nothing; one COUNT/SUM query each for a signed-in person, none
        # for an anonymous visitor.
        "wish_count": SimpleLazyObject(lambda: _wish_count(request)),
        "cart_count": SimpleLazyObject(lambda: _cart_count(request)),
        # NTF-1: unread notices; fetched with the wish-list count (no extra query).
        "notice_count": SimpleLazyObject(lambda: _notice_count(request)),
    }
