"""Catalog pages (CAT-1, CAT-2, CAT-3): home, search, category, stores, product page.

Caching: the part of a page that is the same for every visitor with the same
inputs (path and filters, country, display currency, locale) is rendered once and
kept in Django's cache under a key that includes the catalog version
(core.counters.counter_value(catalog.services.CATALOG_VERSION)). Every price,
stock or listing change bumps that version, so the next request renders afresh.

That shared part is rendered without context processors or the user; it may read
`request` only for what the key holds (visitor_country, display_currency,
money_locale). Two things stay personal: the CSRF token (rendered as
CSRF_SENTINEL, replaced per request) and the wish-list toggles (both states
pre-rendered per product, the person's own picked per request at
<!--slot:wish:ID-->).

Signed-out visitors without pending messages (and not asking for an htmx
partial) get the WHOLE page from the cache, header and footer included: it is
rendered once per key for an anonymous user, with every wish-list toggle in its
"not wished" state and placeholders for the only three things of base.html that
are not in the key: the CSRF token, the header's search box (the `q` parameter)
and the footer's "come back here" path. Per request those three are put in
(_fill_page); nothing else of the request or of any person is in that HTML.
Signed-in people get base.html rendered per request (their name, badges) around
the cached shared parts.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Category, Store
from catalog.selectors import (
    MAX_QUERY_LENGTH,
    SORT_CHOICES,
    category_get,
    category_tree,
    product_delivery_options,
    product_detail,
    product_get,
    product_newest,
    product_search,
    store_choices,
    store_featured,
    store_get,
    store_list,
)
from catalog.services import CATALOG_VERSION
from core.counters import counter_value
from core.countries import country_choices, country_name, is_country
from core.middleware import COUNTRY_COOKIE, CURRENCY_COOKIE
from core.money import Money, currencies, get_currency
from core.policy import policy
from wishlist.selectors import wished_product_ids

PAGE_SIZE = 24
STORES_PAGE_SIZE = 24
HOME_PRODUCTS = 12
HOME_STORES = 6
CACHE_SECONDS = 600
VISITOR_COOKIE_SECONDS = 365 * 24 * 3600
LISTING_PARAMS = ("q", "category", "price_min", "price_max", "store", "ships_from",
                  "free_return", "sort", "page")

# Stands for the visitor's CSRF token in cached parts; derived from the secret key so
# that nobody can plant it in a product text.
CSRF_SENTINEL = "csrf" + hashlib.sha256(f"catalog-csrf:{settings.SECRET_KEY}".encode()).hexdigest()[:24]
# The same for the header's search box and the footer's "next" field of a whole cached page.
QUERY_SENTINEL = "hq" + hashlib.sha256(f"catalog-q:{settings.SECRET_KEY}".encode()).hexdigest()[:24]
NEXT_SENTINEL = "nx" + hashlib.sha256(f"catalog-next:{settings.SECRET_KEY}".encode()).hexdigest()[:24]
_WISH_SLOT = re.compile(r"<!--slot:wish:(\d+)-->")
_PAGE_SLOTS = re.compile(f"({CSRF_SENTINEL}|{QUERY_SENTINEL}|{NEXT_SENTINEL})")


# --- the filter form (CAT-2) ---------------------------------------------------

_PRICE_ERRORS = {
    "invalid": gettext_lazy("Enter the price as a number, for example 12.50."),
    "min_value": gettext_lazy("The price cannot be negative."),
    "max_digits": gettext_lazy("That price is too large."),
    "max_whole_digits": gettext_lazy("That price is too large."),
    "max_decimal_places": gettext_lazy("Use at most %(max)s decimal places."),
}


class ProductFilterForm(forms.Form):
    """The search/browse filters. Prices are typed in the visitor's display currency."""

    q = forms.CharField(
        required=False, max_length=MAX_QUERY_LENGTH, label=gettext_lazy("Search for"),
        error_messages={"max_length": gettext_lazy("Keep the search under %(limit_value)d characters.")},
    )
    category = forms.CharField(required=False, max_length=80, label=gettext_lazy("Category"))
    price_min = forms.DecimalField(required=False, min_value=0, max_digits=12,
                                   label=gettext_lazy("Lowest price"), error_messages=_PRICE_ERRORS)
    price_max = forms.DecimalField(required=False, min_value=0, max_digits=12,
                                   label=gettext_lazy("Highest price"), error_messages=_PRICE_ERRORS)
    store = forms.CharField(required=False, max_length=80, label=gettext_lazy("Store"))
    ships_from = forms.CharField(required=False, max_length=2, label=gettext_lazy("Ships from"),
                                 error_messages={"max_length": gettext_lazy(
                                     "Use a two-letter country code.")})
    free_return = forms.BooleanField(required=False, label=gettext_lazy("Free Return only"))
    sort = forms.ChoiceField(
        required=False, choices=[("", gettext_lazy("Default"))] + SORT_CHOICES,
        label=gettext_lazy("Sort by"),
        error_messages={"invalid_choice": gettext_lazy("Unknown sort order.")},
    )
    page = forms.IntegerField(
        required=False, min_value=1, max_value=100_000, label=gettext_lazy("Page"),
        error_messages={"invalid": gettext_lazy("The page must be a whole number."),
                        "min_value": gettext_lazy(
                            "Pages start at 1."), "max_value": gettext_lazy("There is no such page.")},
    )

    def __init__(self, data, *, currency: str, categories: list[tuple[Category, int]] | None,
                 stores: list[Store] | None, fixed_category: Category | None = None,
                 fixed_store: Store | None = None):
        super().__init__(data)
        self.currency = currency
        self.categories = categories or []
        self.stores = stores or []
        self.fixed_category = fixed_category
        self.fixed_store = fixed_store

    def _clean_price(self, name: str):
        value = self.cleaned_data.get(name)
        if value is None:
            return None
        exponent = get_currency(self.currency).exponent
        if -value.as_tuple().exponent > exponent:
            if exponent == 0:
                raise forms.ValidationError(_(
                    "%(currency)s prices have no decimals.") % {"currency": self.currency})
            raise forms.ValidationError(_(
                "Use at most %(exponent)s decimal places for %(currency)s.") % {
                    "exponent": exponent, "currency": self.currency})
        return value

    def clean_price_min(self):
        return self._clean_price("price_min")

    def clean_price_max(self):
        return self._clean_price("price_max")

    def clean_category(self):
        slug = self.cleaned_data["category"].strip()
        if self.fixed_category is not None or not slug:
            return self.fixed_category
        for category, _depth in self.categories:
            if category.slug == slug:
                return category
        raise forms.ValidationError(_("Unknown category."))

    def clean_store(self):
        slug = self.cleaned_data["store"].strip()
        if self.fixed_store is not None or not slug:
            return self.fixed_store
        for store in self.stores:
            if store.slug == slug:
                return store
        raise forms.ValidationError(_("Unknown store."))

    def clean_ships_from(self):
        code = self.cleaned_data["ships_from"].strip().upper()
        if code and not is_country(code):
            raise forms.ValidationError(_("Unknown country code."))
        return code

    def clean(self):
        data = super().clean()
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The highest price must not be below the lowest price."))
        return data

    def search_kwargs(self) -> dict:
        data = self.cleaned_data

        def minor(value: Decimal | None) -> int | None:
            return None if value is None else Money.from_decimal(value, self.currency).amount

        return {
            "q": data["q"],
            "category": data["category"],
            "price_min": minor(data["price_min"]),
            "price_max": minor(data["price_max"]),
            "currency": self.currency,
            "store": data["store"],
            "ships_from": data["ships_from"],
            "free_return_only": data["free_return"],
            "sort": data["sort"],
        }


# --- cache and slots ---------------------------------------------------------------

def _visitor(request) -> tuple[str, str, str, str]:
    return (request.visitor_country, request.display_currency, request.money_locale,
            translation.get_language() or "")  # the interface language: pages are translated


def _cache_key(*parts) -> str:
    return "catalog:page:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


def _cached(key_parts: tuple, build, *, version: int | None = None) -> dict:
    """The cached entry for these inputs at the catalog version (read unless given), built on a miss."""
    if version is None:
        version = counter_value(CATALOG_VERSION)
    key = _cache_key(version, *key_parts)
    entry = cache.get(key)
    if entry is None:
        entry = build()
        cache.set(key, entry, CACHE_SECONDS)
    return entry


def _render_shared(template_name: str, context: dict, *, request) -> str:
    """Render a part shared by every visitor with the same inputs: no user, no context
    processors, and CSRF_SENTINEL in place of the person's CSRF token."""
    context = {**context, "request": request, "wish_slots": True, "csrf_token": CSRF_SENTINEL}
    return get_template(template_name).render(context)


def _wish_toggles(products, *, next_path: str) -> dict[int, tuple[str, str]]:
    """Each product's wish-list toggle, pre-rendered (not wished, wished).

    The toggle (wishlist/_toggle.html) depends only on the product, its state, the CSRF
    token and the path to come back to, so both states can be cached and the person's
    own state picked per request.
    """
    template = get_template("catalog/_wish_slot.html")
    page = {"get_full_path": next_path, "path": next_path.split("?", 1)[0]}
    toggles = {}
    for product in products:
        states = []
        for wished in (False, True):
            product.wished = wished
            states.append(template.render(
                {"product": product, "request": page, "csrf_token": CSRF_SENTINEL}))
        toggles[product.pk] = (states[0], states[1])
    return toggles


def _fill_slots(html: str, request, toggles: dict[int, tuple[str, str]], token: str) -> str:
    """Put the person's own wish-list states and CSRF token (`token`, from get_token) into a shared part."""
    if toggles:
        wished = (wished_product_ids(user=request.user, product_ids=list(toggles))
                  if request.user.is_authenticated else set())

        def toggle(match: re.Match) -> str:
            pk = int(match.group(1))
            states = toggles.get(pk)
            return states[pk in wished] if states else ""

        html = _WISH_SLOT.sub(toggle, html)
    return html.replace(CSRF_SENTINEL, token)


def _unwished(html: str, toggles: dict[int, tuple[str, str]]) -> str:
    """A shared part with every wish-list toggle in its "not wished" state (anonymous visitors)."""
    if not toggles:
        return html

    def toggle(match: re.Match) -> str:
        states = toggles.get(int(match.group(1)))
        return states[0] if states else ""

    return _WISH_SLOT.sub(toggle, html)


# --- whole pages -----------------------------------------------------------------------------

def _whole_page_allowed(request) -> bool:
    """A signed-out visitor with no messages waiting: the page has nothing of theirs."""
    return not request.user.is_authenticated and not len(get_messages(request))


def _fill_page(segments: list[str], request) -> str:
    """A whole cached page (split at its placeholders) with this request's CSRF token,
    search words and path put in, escaped as the template would."""
    values = {
        CSRF_SENTINEL: get_token(request),
        QUERY_SENTINEL: escape(request.GET.get("q", "")),
        NEXT_SENTINEL: escape(request.get_full_path()),
    }
    parts = segments[:]
    parts[1::2] = [values[slot] for slot in segments[1::2]]
    return "".join(parts)


def _page(request, *, key_parts: tuple, build, template_name: str, context) -> HttpResponse:
    """A full catalog page.

    build() makes the shared parts (cached under key_parts at the catalog version);
    context(entry, fill) is the page template's context from them, where
    fill(html, toggles) puts the wish-list toggles into a part.

    A signed-out visitor with no pending messages gets the whole page from the cache
    (rendered for an anonymous user with placeholders, see the module docstring); anybody
    else gets base.html rendered around the shared parts, with get_token called once.
    """
    version = counter_value(CATALOG_VERSION)
    if _whole_page_allowed(request):
        key = _cache_key(version, "page", *key_parts)
        segments = cache.get(key)
        if segments is None:
            entry = _cached(key_parts, build, version=version)
            html = render_to_string(template_name, {
                **context(entry, _unwished),
                "csrf_token": CSRF_SENTINEL, "header_q": QUERY_SENTINEL, "next_path": NEXT_SENTINEL,
            }, request)
            segments = _PAGE_SLOTS.split(html)
            cache.set(key, segments, CACHE_SECONDS)
        response = HttpResponse(_fill_page(segments, request))
    else:
        entry = _cached(key_parts, build, version=version)
        token = get_token(request)

        def fill(html: str, toggles: dict[int, tuple[str, str]]) -> str:
            return _fill_slots(html, request, toggles, token)

        response = render(request, template_name, {**context(entry, fill), "csrf_token": token})
    # The page depends on the visitor's cookies (country, currency, session) either way, and it
    # carries the visitor's own CSRF token: no shared cache may keep it.
    patch_vary_headers(response, ["Cookie"])
    patch_cache_control(response, private=True)
    return response


# --- listings: search, category, store --------------------------------------------------

def _canonical_path(request) -> str:
    """The listing's path with only the parameters it understands (what its cache key holds)."""
    params = [(name, value) for name, values in _listing_params(request) for value in values]
    return request.path + (f"?{urlencode(params)}" if params else "")


def _listing_params(request) -> tuple:
    """The filter parameters that were given a value (empty fields of the form mean 'any')."""
    given = ((name, tuple(v for v in request.GET.getlist(name) if v)) for name in LISTING_PARAMS)
    return tuple((name, values) for name, values in given if values)


def _query_string(params: dict, **changes) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v not in ("", None)}
    return urlencode(merged)


def _page_links(path: str, params: dict, page, count_pages: int) -> dict:
    def link(number: int) -> str:
        return f"{path}?{_query_string(params, page=number if number > 1 else '')}"

    return {
        "previous": link(page.number - 1) if page.has_previous() else "",
        "next": link(page.next_page_number()) if page.has_next() else "",
        "number": page.number,
        "pages": count_pages,
    }


def _build_listing(request, *, kind: str, slug: str | None) -> dict:
    category = store = None
    if kind == "category":
        category = category_get(slug=slug)
        if category is None:
            raise Http404("No such category.")
    elif kind == "store":
        store = store_get(slug=slug)
        if store is None:
            raise Http404("No such store.")
    currency = request.display_currency or "USD"
    categories = category_tree() if kind != "category" else None
    stores = store_choices() if kind != "store" else None
    form = ProductFilterForm(request.GET, currency=currency, categories=categories,
                             stores=stores, fixed_category=category, fixed_store=store)
    path = request.path
    page = None
    links = None
    if form.is_valid():
        paginator = Paginator(product_search(**form.search_kwargs()), PAGE_SIZE)
        number = form.cleaned_data["page"] or 1
        if number > paginator.num_pages:
            form.add_error("page", _("There is no page %(number)s; the last page is %(num_pages)s.") % {
                "number": number, "num_pages": paginator.num_pages})
            number = paginator.num_pages
        page = paginator.page(number)
        params = {k: request.GET.get(k, "") for k in LISTING_PARAMS if k != "page"}
        links = _page_links(path, params, page, paginator.num_pages)
    products = list(page.object_list) if page is not None else []

    if kind == "category":
        title, children = category.name, list(category.children.all())
    elif kind == "store":
        title, children = store.name, []
    else:
        q = form.cleaned_data.get("q", "")
        title, children = (_("Search: %(query)s") % {"query": q} if q else _("All products")), []
    context = {
        "kind": kind, "form": form, "path": path, "category": category, "store": store,
        "children": children, "stores": stores or [],
        "category_options": [(c.slug, "— " * depth + c.name) for c, depth in categories or []],
        "countries": country_choices(), "ships_from": request.GET.get("ships_from", "").upper(),
        "currency": currency, "page": page, "links": links, "products": products,
    }
    return {
        "title": title,
        "head": _render_shared("catalog/_listing_head.html", context, request=request),
        "filters": _render_shared("catalog/_filters.html", context, request=request),
        "results": _render_shared("catalog/_results.html", context, request=request),
        "toggles": _wish_toggles(products, next_path=_canonical_path(request)),
    }


def _listing(request, *, kind: str, slug: str | None = None) -> HttpResponse:
    key_parts = ("listing", kind, slug, _listing_params(request), *_visitor(request))

    def build() -> dict:
        return _build_listing(request, kind=kind, slug=slug)

    if request.htmx and not request.htmx.history_restore_request:  # the results block alone
        entry = _cached(key_parts, build)
        response = HttpResponse(_fill_slots(entry["results"], request, entry["toggles"], get_token(request)))
        patch_vary_headers(response, ["Cookie"])
        patch_cache_control(response, private=True)
    else:
        response = _page(request, key_parts=key_parts, build=build, template_name="catalog/listing.html",
                         context=lambda entry, fill: {
                             "title": entry["title"], "head": mark_safe(entry["head"]),
                             "filters": mark_safe(entry["filters"]),
                             "results": mark_safe(fill(entry["results"], entry["toggles"])),
                         })
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def search(request):
    """CAT-2: text search with filters, sort and pagination."""
    return _listing(request, kind="search")


@require_GET
def category(request, slug: str):
    """A category and its sub-categories, with the search filters."""
    return _listing(request, kind="category", slug=slug)


@require_GET
def store(request, slug: str):
    """A store and its products, with the search filters."""
    return _listing(request, kind="store", slug=slug)


# --- home and stores ---------------------------------------------------------------------

@require_GET
def home(request):
    def build() -> dict:
        products = product_newest(limit=HOME_PRODUCTS)
        context = {
            "categories": [c for c, depth in category_tree() if depth == 0],
            "products": products,
            "stores": store_featured(limit=HOME_STORES),
        }
        return {"html": _render_shared("catalog/_home.html", context, request=request),
                "toggles": _wish_toggles(products, next_path=request.path)}

    return _page(request, key_parts=("home", *_visitor(request)), build=build,
                 template_name="catalog/home.html",
                 context=lambda entry, fill: {"main": mark_safe(fill(entry["html"], entry["toggles"]))})


@require_GET
def stores(request):
    number = request.GET.get("page", "1")

    def build() -> dict:
        paginator = Paginator(store_list(), STORES_PAGE_SIZE)
        error = ""
        try:
            page = paginator.page(int(number))
        except ValueError:
            error, page = _("The page must be a whole number."), paginator.page(1)
        except InvalidPage:  # below 1 or past the end
            error = _("There is no page %(number)s; the last page is %(num_pages)s.") % {
                "number": number, "num_pages": paginator.num_pages}
            page = paginator.page(paginator.num_pages)
        links = _page_links(request.path, {}, page, paginator.num_pages)
        context = {"page": page, "links": links, "error": error}
        return {"html": _render_shared("catalog/_stores.html", context, request=request)}

    return _page(request, key_parts=("stores", number, *_visitor(request)), build=build,
                 template_name="catalog/stores.html",
                 context=lambda entry, fill: {"main": mark_safe(entry["html"])})


# --- product page (CAT-3) -----------------------------------------------------------------

@require_GET
def product(request, slug: str):
    def build() -> dict:
        item = product_detail(slug=slug)
        if item is None:
            raise Http404("No such product.")
        country = request.visitor_country
        options = product_delivery_options(product=item, country=country)
        variants = item.active_variants
        context = {
            "product": item,
            "variants": variants,
            "first_variant": next((v for v in variants if v.available), variants[0] if variants else None),
            "images": item.all_images,
            "options": options,
            "delivers": any(o.delivers for o in options),
            "country": country,
            "country_name": country_name(country),
            "domestic_here": item.domestic_delivery and item.warehouse_country == country,
            "free_return_days": policy.free_return_window.days,
        }
        return {"html": _render_shared("catalog/_product_main.html", context, request=request),
                "toggles": _wish_toggles([item], next_path=request.path), "title": item.title}

    return _page(request, key_parts=("product", slug, *_visitor(request)), build=build,
                 template_name="catalog/product.html",
                 context=lambda entry, fill: {"title": entry["title"],
                                              "main": mark_safe(fill(entry["html"], entry["toggles"]))})


@login_required
@require_GET
def contact_seller(request, slug: str):
    """CAT-3 / MSG-1 entry point: the buyer's chat with the store, carrying this product (messaging)."""
    item = product_get(slug=slug)
    if item is None:
        raise Http404("No such product.")
    url = reverse("messaging:to_store", args=[item.store_id])
    return HttpResponseRedirect(f"{url}?{urlencode({'product': item.pk})}")


# --- visitor settings -----------------------------------------------------------------------

@require_POST
def set_visitor(request):
    """Save the delivery country and display currency (cookies read by core.middleware)."""
    country = request.POST.get("country", "").strip().upper()
    currency = request.POST.get("currency", "").strip().upper()
    errors = []
    if country and not is_country(country):
        errors.append(_("We do not recognise that country, so nothing was changed."))
    if currency and currency not in currencies():
        errors.append(_("We cannot show prices in that currency, so nothing was changed."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("catalog:home")
    response = HttpResponseRedirect(target)
    if errors:
        for error in dict.fromkeys(errors):
            messages.error(request, error)
        return response
    cookie = {"max_age": VISITOR_COOKIE_SECONDS, "samesite": "Lax", "httponly": True,
              "secure": request.is_secure()}
    if country:
        response.set_cookie(COUNTRY_COOKIE, country, **cookie)
    if currency:
        response.set_cookie(CURRENCY_COOKIE, currency, **cookie)
    else:
        response.delete_cookie(CURRENCY_COOKIE)
    where = country_name(country) if country else country_name(request.visitor_country)
    shown = currency or "each seller's currency"
    messages.success(request, _("Delivery estimates are now for %(where)s; prices are shown in "
        "%(shown)s.") % {"where": where, "shown": shown})
    return response
