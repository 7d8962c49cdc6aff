"""Wish list reads (WSH-1): each item with its current price, the change since
it was added, and whether it can still be bought.

Pages pass `locale` (request.money_locale) so amounts also come as text; the
API uses the Money values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from cart.selectors import StockState, price_change, stock_state
from catalog.models import Product, ProductImage, Variant
from core.money import Money, format_money
from wishlist.models import WishItem


@dataclass
class VariantChoice:
    variant: Variant
    label: str
    price: Money
    stock: StockState
    price_text: str = ""


@dataclass
class WishLine:
    item: WishItem
    product: Product
    price: Money | None  # None when no variant is sold any more
    price_when_added: Money
    price_change: str | None  # "dropped" | "rose" | None
    price_difference: Money | None
    stock: StockState
    image: ProductImage | None
    choices: list[VariantChoice]
    needs_choice: bool
    price_text: str = ""
    price_when_added_text: str = ""
    price_difference_text: str = ""

    @property
    def available(self) -> bool:
        return self.stock.available

    @property
    def store(self):
        return self.product.store


def product_is_sold(product: Product) -> bool:
    return product.is_active and product.store.is_active


def needs_variant_choice(variants: Sequence[Variant]) -> bool:
    """True when the sold variants differ in their options, so the buyer must pick one."""
    return len({tuple(sorted(v.options.items())) for v in variants}) > 1


def wishlist_items(*, user) -> QuerySet[WishItem]:
    """The person's wish items, newest first, with product, store, sold variants and images."""
    return (
        WishItem.objects.filter(user=user)
        .select_related("product__store")
        .prefetch_related(
            Prefetch(
                "product__variants",
                queryset=Variant.objects.filter(is_active=True).order_by("position", "id"),
                to_attr="sold_variants",
            ),
            Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id")),
        )
        .order_by("-added_at", "-id")
    )


def wish_line(item: WishItem, *, locale: str = "") -> WishLine:
    """What the wish list shows for one item (needs the prefetches of wishlist_items)."""
    product = item.product
    variants = getattr(product, "sold_variants", None)
    if variants is None:
        variants = list(product.variants.filter(is_active=True).order_by("position", "id"))
    sold = product_is_sold(product) and bool(variants)
    currency = product.currency
    added = Money(item.price_when_added_minor, currency)
    if sold:
        current_minor = min(v.price_minor for v in variants)
        price = Money(current_minor, currency)
        change = price_change(then_minor=item.price_when_added_minor, now_minor=current_minor)
        difference = (
            Money(abs(current_minor - item.price_when_added_minor), currency) if change else None
        )
        stock = stock_state(sold=True, stock=sum(v.stock for v in variants))
    else:
        price, change, difference = None, None, None
        stock = stock_state(sold=False, stock=0)
    choices = [
        VariantChoice(
            variant=v,
            label=v.label,
            price=Money(v.price_minor, currency),
            stock=stock_state(sold=sold, stock=v.stock),
        )
        for v in variants
    ]
    images = list(product.images.all())
    line = WishLine(
        item=item,
        product=product,
        price=price,
        price_when_added=added,
        price_change=change,
        price_difference=difference,
        stock=stock,
        image=images[0] if images else None,
        choices=choices,
        needs_choice=sold and needs_variant_choice(variants),
    )
    if locale:
        line.price_text = format_money(price, locale) if price else ""
        line.price_when_added_text = format_money(added, locale)
        line.price_difference_text = format_money(difference, locale) if difference else ""
        for choice in choices:
            choice.price_text = format_money(choice.price, locale)
    return line


class MappedItems(Sequence):
    """A queryset seen through a function, sliced lazily (for PagePagination)."""

    def __init__(self, queryset: QuerySet, func: Callable):
        self.queryset = queryset
        self.func = func

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.func(obj) for obj in self.queryset[index]]
        return self.func(self.queryset[index])


def wishlist_lines(*, user, locale: str = "") -> MappedItems:
    """The person's wish list as WishLine objects, evaluated only for the slice asked for."""
    return MappedItems(wishlist_items(user=user), lambda item: wish_line(item, locale=locale))


def wishlist_count(*, user) -> int:
    return WishItem.objects.filter(user=user).count()


def wished_product_ids(*, user, product_ids: Sequence[int] | None = None) -> set[int]:
    """Which of these products (default: all) are on the person's wish list, in one query.

    For product cards: ``wished = pk in wished_product_ids(user=..., product_ids=[...])``.
    """
    if not getattr(user, "is_authenticated", False):
        return set()
    items = WishItem.objects.filter(user=user)
    if product_ids is not None:
        items = items.filter(product_id__in=list(product_ids))
    return set(items.values_list("product_id", flat=True))


def is_wished(*, user, product: Product) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return WishItem.objects.filter(user=user, product=product).exists()


def sellable_product(*, product_id: int) -> Product | None:
    """A product that may be put on a wish list (active, in an active store), or None."""
    return (
        Product.objects.filter(pk=product_id, is_active=True, store__is_active=True)
        .select_related("store")
        .first()
    )
