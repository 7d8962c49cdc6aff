"""Catalog reads (CAT-1, CAT-2, CAT-3): search and browse, product pages, stores, categories.

Listings never aggregate over variants: they read the derived product columns
(min_price_minor, price_usd_minor, total_stock, search_text) kept exact by
catalog.services.product_refresh_summary.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext, gettext_lazy

from catalog.models import (
    Category,
    DeliveryEstimate,
    Product,
    ProductImage,
    ShippingMethod,
    Store,
    Variant,
)
from core.countries import is_country
from core.errors import DomainError
from core.money import to_usd_minor

SORT_RELEVANCE = "relevance"
SORT_PRICE_ASC = "price_asc"
SORT_PRICE_DESC = "price_desc"
SORT_NEWEST = "newest"
SORT_CHOICES = [
    (SORT_RELEVANCE, gettext_lazy("Best match")),
    (SORT_PRICE_ASC, gettext_lazy("Price: low to high")),
    (SORT_PRICE_DESC, gettext_lazy("Price: high to low")),
    (SORT_NEWEST, gettext_lazy("Newest first")),
]
SORTS = {value for value, _ in SORT_CHOICES}

MAX_QUERY_LENGTH = 200
MAX_QUERY_TERMS = 8

_NEWEST = ("-created_at", "-id")


def search_terms(q: str) -> list[str]:
    """The distinct lower-case words of a query, at most MAX_QUERY_TERMS of them."""
    terms: list[str] = []
    for word in (q or "").lower().split():
        if word not in terms:
            terms.append(word)
    return terms[:MAX_QUERY_TERMS]


def category_subtree_ids(*, category: Category) -> list[int]:
    """The category and all its descendants (one query over the category table)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = [], [category.pk]
    while todo:
        pk = todo.pop()
        if pk in found:  # guard against a cycle typed in the admin
            continue
        found.append(pk)
        todo.extend(children.get(pk, []))
    return found


def _first_image_prefetch() -> Prefetch:
    return Prefetch(
        "images",
        queryset=ProductImage.objects.order_by("position", "id")[:1],
        to_attr="first_images",
    )


def _with_wished(queryset: QuerySet, user) -> QuerySet:
    if user is not None and user.is_authenticated:
        from wishlist.models import WishItem

        wished = Exists(WishItem.objects.filter(user=user, product=OuterRef("pk")))
        return queryset.annotate(wished=wished)
    return queryset.annotate(wished=Value(False))


def product_listing_base(*, user=None) -> QuerySet[Product]:
    """Active products of active stores, ready for a listing (store, category, first image, wished)."""
    queryset = (
        Product.objects.filter(is_active=True, store__is_active=True)
        .select_related("store", "category")
        .prefetch_related(_first_image_prefetch())
    )
    return _with_wished(queryset, user)


def product_search(
    *,
    q: str = "",
    category: Category | None = None,
    price_min: int | None = None,
    price_max: int | None = None,
    currency: str = "USD",
    store: Store | None = None,
    ships_from: str = "",
    free_return_only: bool = False,
    sort: str = "",
    user=None,
) -> QuerySet[Product]:
    """Search and browse (CAT-2).

    `price_min`/`price_max` are minor units of `currency` (the visitor's display
    currency); they are compared with each product's lowest price in US cents.
    Text matches every word of `q` in the search text; with `q`, results rank
    title matches above description matches (then newest first).
    Each product carries `wished` (on the user's wish list), `first_images`
    (a list of at most one image) and `in_stock` (from total_stock).
    """
    sort = sort or (SORT_RELEVANCE if q and q.strip() else SORT_NEWEST)
    if sort not in SORTS:
        raise DomainError(gettext("Unknown sort order."), code="validation_error",
                          fields={"sort": [gettext("Choose one of: %(choices)s.")
                                            % {"choices": ", ".join(sorted(SORTS))}]},
                          status=422)
    if ships_from and not is_country(ships_from):
        raise DomainError(gettext("Unknown country."), code="validation_error",
                          fields={"ships_from": [gettext("Unknown country code.")]}, status=422)
    queryset = product_listing_base(user=user)

    terms = search_terms(q)
    for term in terms:
        queryset = queryset.filter(search_text__contains=term)
    if category is not None:
        queryset = queryset.filter(category_id__in=category_subtree_ids(category=category))
    if store is not None:
        queryset = queryset.filter(store=store)
    if ships_from:
        queryset = queryset.filter(store__ships_from=ships_from)
    if free_return_only:
        queryset = queryset.filter(free_return=True)
    if price_min is not None:
        queryset = queryset.filter(price_usd_minor__gte=to_usd_minor(price_min, currency))
    if price_max is not None:
        queryset = queryset.filter(price_usd_minor__lte=to_usd_minor(price_max, currency))

    if sort == SORT_RELEVANCE and terms:
        queryset = queryset.annotate(relevance=_relevance(terms))
        return queryset.order_by("-relevance", *_NEWEST)
    if sort == SORT_PRICE_ASC:
        return queryset.order_by("price_usd_minor", *_NEWEST)
    if sort == SORT_PRICE_DESC:
        return queryset.order_by("-price_usd_minor", *_NEWEST)
    return queryset.order_by(*_NEWEST)


def _relevance(terms: list[str]):
    """Per word: 2 when in the title, else 1 when in the description; +1 for the whole phrase in the title."""
    score = Value(0)
    for term in terms:
        score = score + Case(
            When(title__icontains=term, then=Value(2)),
            When(description__icontains=term, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    if len(terms) > 1:
        score = score + Case(
            When(title__icontains=" ".join(terms), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    return score


def product_newest(*, limit: int, user=None) -> list[Product]:
    return list(product_listing_base(user=user).order_by(*_NEWEST)[:limit])


def product_detail(*, slug: str, user=None) -> Product | None:
    """One active product with everything its page shows (CAT-3), in a fixed number of queries."""
    estimates = Prefetch("estimates", queryset=DeliveryEstimate.objects.order_by("country"))
    queryset = (
        Product.objects.filter(slug=slug, is_active=True, store__is_active=True)
        .select_related("store", "category", "category__parent")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.filter(is_active=True).order_by("position", "id"),
                     to_attr="active_variants"),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"),
                     to_attr="all_images"),
            Prefetch("shipping_methods",
                     queryset=ShippingMethod.objects.order_by("name").prefetch_related(estimates),
                     to_attr="methods"),
        )
    )
    return _with_wished(queryset, user).first()


def product_get(*, slug: str) -> Product | None:
    """An active product of an active store, with its store."""
    return (Product.objects.select_related("store")
            .filter(slug=slug, is_active=True, store__is_active=True).first())


@dataclass(frozen=True)
class DeliveryOption:
    """One shipping method of a product as seen from a destination country."""

    method: ShippingMethod
    estimate: DeliveryEstimate | None

    @property
    def delivers(self) -> bool:
        return self.estimate is not None

    @property
    def is_fallback(self) -> bool:
        """The estimate is the method's 'everywhere else' one, not one for this country."""
        return self.estimate is not None and self.estimate.country == ""


def product_delivery_options(*, product: Product, country: str) -> list[DeliveryOption]:
    """Each shipping method with its estimate for `country`: the country's own, else the
    blank-country fallback, else None (the method does not deliver there). Uses the
    prefetched `methods` when present."""
    methods = getattr(product, "methods", None)
    if methods is None:
        methods = product.shipping_methods.prefetch_related("estimates").order_by("name")
    return [DeliveryOption(method=m, estimate=m.estimate_for(country)) for m in methods]


def category_list() -> list[Category]:
    return list(Category.objects.select_related("parent"))


def category_tree() -> list[tuple[Category, int]]:
    """Every category with its depth, parents before their children (for indented menus)."""
    categories = list(Category.objects.all())
    by_parent: dict[int | None, list[Category]] = {}
    for c in categories:
        by_parent.setdefault(c.parent_id, []).append(c)
    out: list[tuple[Category, int]] = []
    seen: set[int] = set()

    def walk(parent_id: int | None, depth: int) -> None:
        for c in by_parent.get(parent_id, []):
            if c.pk in seen:
                continue
            seen.add(c.pk)
            out.append((c, depth))
            walk(c.pk, depth + 1)

    walk(None, 0)
    return out


def category_get(*, slug: str) -> Category | None:
    return Category.objects.select_related("parent").filter(slug=slug).first()


def store_list() -> QuerySet[Store]:
    """Active stores with the number of their active products."""
    return Store.objects.filter(is_active=True).annotate(
        product_count=Count("products", filter=Q(products__is_active=True))
    ).order_by("name")


def store_featured(*, limit: int) -> list[Store]:
    """Stores with the most active products first."""
    return list(store_list().filter(product_count__gt=0).order_by("-product_count", "name")[:limit])


def store_get(*, slug: str) -> Store | None:
    return store_list().filter(slug=slug).first()


def store_choices() -> list[Store]:
    """Active stores, only what a filter menu needs (id, slug, name)."""
    return list(Store.objects.filter(is_active=True).only("id", "slug", "name").order_by("name"))
