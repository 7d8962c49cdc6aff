from django.conf import settings
from django.utils.functional import SimpleLazyObject

from core.countries import country_choices
from core.money import currencies


def _wish_count(request) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from wishlist.selectors import wishlist_count

    return wishlist_count(user=user)


def _cart_count(request) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from cart.selectors import cart_count

    return cart_count(user=user)


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
    }
