"""What every page's base.html needs, cheaply.

Nothing here runs a query for an anonymous visitor, and nothing is computed per
request that could be computed once: the header's and footer's URLs are reversed
once per URL configuration (nav_urls), the static files' URLs looked up once
(asset_urls), the country and currency <option> lists rendered once per selected
value (country_options, currency_options), and the header badges are lazy (a
query only when a page shows them to a signed-in person).
"""

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.countries import country_choices
from core.money import currencies

# The fixed links of base.html, by the name the template uses (nav.<name>).
NAV_VIEWS = {
    "search": "catalog:search",
    "stores": "catalog:stores",
    "wishlist": "wishlist:list",
    "cart": "cart:view",
    "orders": "orders:list",
    "notices": "notifications:list",
    "messages": "messaging:center",
    "seller_center": "sellercenter:home",
    "addresses": "accounts:addresses",
    "back_office": "backoffice",
    "sign_out": "account_logout",
    "sign_in": "account_login",
    "register": "account_signup",
    "set_visitor": "catalog:set_visitor",
}
_nav_cache: dict[tuple, dict[str, str]] = {}
_asset_cache: dict[str, dict[str, str]] = {}


def nav_urls() -> dict[str, str]:
    """The URLs of NAV_VIEWS, reversed once per (script prefix, URL configuration)."""
    key = (get_script_prefix(), get_urlconf())
    urls = _nav_cache.get(key)
    if urls is None:
        urls = _nav_cache[key] = {name: reverse(view) for name, view in NAV_VIEWS.items()}
    return urls


def asset_urls() -> dict[str, str]:
    """The static files of base.html's <head> (`{% static %}` and `{% htmx_script %}`), looked up once."""
    prefix = get_script_prefix()
    assets = _asset_cache.get(prefix)
    if assets is None:
        from django_htmx.jinja import htmx_script

        assets = _asset_cache[prefix] = {
            "site_css": static("css/site.css"),
            "favicon": static("img/favicon.svg"),
            "site_js": static("js/site.js"),
            "htmx_script": htmx_script(),
        }
    return assets


@receiver(setting_changed)
def _forget_urls(*, setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _nav_cache.clear()
    if setting in {"STATIC_URL", "STORAGES", "DEBUG", "FORCE_SCRIPT_NAME"}:
        _asset_cache.clear()


@lru_cache(maxsize=512)
def country_options(selected: str) -> SafeString:
    """The <option>s of the footer's country select, `selected` chosen."""
    return mark_safe("".join(
        f'<option value="{escape(code)}"{" selected" if code == selected else ""}>{escape(name)}</option>'
        for code, name in country_choices()
    ))


@lru_cache(maxsize=64)
def currency_options(selected: str) -> SafeString:
    """The <option>s of the footer's currency select after "Seller's currency", `selected` chosen."""
    return mark_safe("".join(
        f'<option value="{escape(code)}"{" selected" if code == selected else ""}>{escape(code)}</option>'
        for code in currencies()
    ))


@lru_cache(maxsize=1)
def _currency_codes() -> tuple[str, ...]:
    return tuple(currencies())


def _wish_and_notice_counts(request) -> tuple[int, int, int]:
    """The wish-list count and the unread-notice count (NTF-1) of the header, in one query.

    Two scalar subqueries on the user's row, run the first time either badge is shown and
    kept on the request, so the notice badge adds no query to a page.
    """
    cached = getattr(request, "_wish_notice_counts", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0, 0, 0
    from django.contrib.auth import get_user_model
    from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    from messaging.models import Conversation
    from notifications.models import Notice
    from wishlist.models import WishItem

    def count(queryset):
        rows = queryset.filter(user=OuterRef("pk")).order_by().values("user").annotate(n=Count("pk"))
        return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), Value(0))

    def unread_messages(owner_field: str, counter: str):  # MSG-1: the header's message badge
        rows = (Conversation.objects.filter(**{owner_field: OuterRef("pk")}).order_by()
                .values(owner_field).annotate(n=Sum(counter)))
        return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), Value(0))

    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            wish=count(WishItem.objects.all()),
            unread=count(Notice.objects.filter(read_at__isnull=True)),
            chats=unread_messages("buyer", "buyer_unread") + unread_messages("store__owner", "seller_unread"),
        )
        .values_list("wish", "unread", "chats")
        .first()
    )
    request._wish_notice_counts = row or (0, 0, 0)
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


def _message_count(request) -> int:
    return _wish_and_notice_counts(request)[2]


def site(request):
    country = getattr(request, "visitor_country", "US")
    currency = getattr(request, "display_currency", "")
    return {
        "SITE_NAME": "Hmong Artisans",
        "DEBUG": settings.DEBUG,
        "visitor_country": country,
        "display_currency": currency,
        # Callables: the template calls them only where it shows them.
        "country_choices": country_choices,
        "currency_codes": _currency_codes,
        "country_options": lambda: country_options(country),
        "currency_options": lambda: currency_options(currency),
        "nav": nav_urls,
        "assets": asset_urls,
        # What the header's search box and the footer's "come back here" field show;
        # catalog.views puts placeholders here when it caches a whole page.
        "header_q": request.GET.get("q", ""),
        "next_path": request.get_full_path,
        # Header badges (WSH-1, cart): lazy, so a page that does not show them
        # costs nothing; one COUNT/SUM query each for a signed-in person, none
        # for an anonymous visitor.
        "wish_count": SimpleLazyObject(lambda: _wish_count(request)),
        "cart_count": SimpleLazyObject(lambda: _cart_count(request)),
        # NTF-1: unread notices; fetched with the wish-list count (no extra query).
        "notice_count": SimpleLazyObject(lambda: _notice_count(request)),
        # MSG-1: unread chat messages; fetched in the same query.
        "message_count": SimpleLazyObject(lambda: _message_count(request)),
    }
