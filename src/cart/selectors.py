"""Cart reads: lines grouped by store (ORD-1 makes one order per store), with
line totals, per-store subtotals in the product currency, price changes since
the buyer added a line, and stock problems.

Pages pass `locale` (request.money_locale) so each amount also comes with its
text; the API ignores the texts and uses the Money values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet, Sum
from django.utils.translation import gettext

from cart.models import CartLine
from catalog.models import ProductImage, Store, Variant
from core.money import Money, format_money

# A product or variant with this many units or fewer shows "only N left".
LOW_STOCK_THRESHOLD = 5
# Sanity bound for one cart line (1..MAX_LINE_QUANTITY units).
MAX_LINE_QUANTITY = 999


@dataclass(frozen=True)
class StockState:
    """Availability as a machine code and a sentence for people.

    code: "in_stock" | "low_stock" | "out_of_stock" | "no_longer_sold"
    """

    code: str
    text: str
    available: bool


def stock_state(*, sold: bool, stock: int) -> StockState:
    """Availability of something that is (or is not) still sold with `stock` units."""
    if not sold:
        return StockState("no_longer_sold", gettext("No longer sold"), False)
    if stock <= 0:
        return StockState("out_of_stock", gettext("Out of stock"), False)
    if stock <= LOW_STOCK_THRESHOLD:
        return StockState("low_stock", gettext("Only %(count)s left") % {"count": stock}, True)
    return StockState("in_stock", gettext("In stock"), True)


def price_change(*, then_minor: int, now_minor: int) -> str | None:
    """ "dropped", "rose" or None when the price is the same."""
    if now_minor < then_minor:
        return "dropped"
    if now_minor > then_minor:
        return "rose"
    return None


def variant_is_sold(variant: Variant) -> bool:
    """The variant, its product and its store are all active."""
    product = variant.product
    return variant.is_active and product.is_active and product.store.is_active


@dataclass
class CartLineView:
    line: CartLine
    variant: Variant
    quantity: int
    unit_price: Money
    line_total: Money
    price_seen: Money
    price_change: str | None
    stock: StockState
    problem: str | None
    max_quantity: int
    image: ProductImage | None
    unit_price_text: str = ""
    line_total_text: str = ""
    price_seen_text: str = ""

    @property
    def product(self):
        return self.variant.product

    @property
    def store(self) -> Store:
        return self.variant.product.store

    @property
    def can_checkout(self) -> bool:
        return self.problem is None


@dataclass
class StoreCartView:
    store: Store
    lines: list[CartLineView] = field(default_factory=list)
    subtotals: list[Money] = field(default_factory=list)
    subtotal_texts: list[str] = field(default_factory=list)


@dataclass
class CartView:
    stores: list[StoreCartView]
    count: int
    has_problems: bool

    @property
    def is_empty(self) -> bool:
        return not self.stores


def cart_lines(*, user) -> QuerySet[CartLine]:
    """The person's cart lines with everything a summary needs, in three queries."""
    return (
        CartLine.objects.filter(user=user)
        .select_related("variant__product__store")
        .prefetch_related(
            Prefetch(
                "variant__product__images", queryset=ProductImage.objects.order_by("position", "id")
            )
        )
        .order_by("variant__product__store__name", "variant__product__store_id", "added_at", "id")
    )


def cart_line_view(line: CartLine, *, locale: str = "en_US") -> CartLineView:
    variant = line.variant
    product = variant.product
    currency = product.currency
    sold = variant_is_sold(variant)
    stock = stock_state(sold=sold, stock=variant.stock)
    if not sold:
        problem = gettext("This item is no longer sold. Remove it from your cart.")
    elif variant.stock <= 0:
        problem = gettext("Out of stock. Remove it or check back later.")
    elif line.quantity > variant.stock:
        problem = gettext("Only %(count)s left. Lower the quantity to %(count)s or less.") % {
            "count": variant.stock}
    else:
        problem = None
    unit = Money(variant.price_minor, currency)
    seen = Money(line.price_seen_minor, currency)
    total = unit * line.quantity
    images = list(product.images.all())
    view = CartLineView(
        line=line,
        variant=variant,
        quantity=line.quantity,
        unit_price=unit,
        line_total=total,
        price_seen=seen,
        price_change=price_change(then_minor=line.price_seen_minor, now_minor=variant.price_minor),
        stock=stock,
        problem=problem,
        max_quantity=max(1, min(MAX_LINE_QUANTITY, variant.stock)),
        image=images[0] if images else None,
    )
    if locale:
        view.unit_price_text = format_money(unit, locale)
        view.line_total_text = format_money(total, locale)
        view.price_seen_text = format_money(seen, locale)
    return view


def cart_summary(*, user, locale: str = "en_US") -> CartView:
    """The cart grouped by store, with line totals and per-store subtotals per currency."""
    groups: dict[int, StoreCartView] = {}
    count = 0
    has_problems = False
    for line in cart_lines(user=user):
        view = cart_line_view(line, locale=locale)
        group = groups.setdefault(view.store.pk, StoreCartView(store=view.store))
        group.lines.append(view)
        count += line.quantity
        has_problems = has_problems or view.problem is not None
    for group in groups.values():
        totals: dict[str, Money] = {}
        for view in group.lines:
            if view.problem is not None:
                continue  # what cannot be bought is not counted in the subtotal
            currency = view.line_total.currency
            totals[currency] = (
                totals[currency] + view.line_total if currency in totals else view.line_total
            )
        group.subtotals = [totals[c] for c in sorted(totals)]
        if locale:
            group.subtotal_texts = [format_money(m, locale) for m in group.subtotals]
    return CartView(stores=list(groups.values()), count=count, has_problems=has_problems)


def cart_count(*, user) -> int:
    """Units in the person's cart, in one query."""
    return CartLine.objects.filter(user=user).aggregate(n=Sum("quantity"))["n"] or 0


def cart_line_for(*, user, line_id: int) -> CartLine | None:
    """One of the person's own lines, or None (another person's line is never returned)."""
    return CartLine.objects.filter(user=user, pk=line_id).select_related("variant__product").first()
