"""Wish list writes (WSH-1): add, remove, toggle, move an item to the cart."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from cart.models import CartLine
from cart.services import cart_add
from catalog.models import Product, Variant
from core.errors import Conflict, DomainError, NotFound
from wishlist.models import WishItem
from wishlist.selectors import needs_variant_choice, product_is_sold


def wishlist_add(*, user, product: Product) -> tuple[WishItem, bool]:
    """Put the product on the person's wish list; adding it again changes nothing.

    Records the product's lowest price now (price_when_added_minor) so the list
    can show a price drop later. Returns (item, created). A product that is no
    longer sold cannot be added.
    """
    existing = WishItem.objects.filter(user=user, product=product).first()
    if existing is not None:
        return existing, False
    if not product_is_sold(product):
        raise Conflict(gettext("This product is no longer sold."), code="unavailable")
    try:
        with transaction.atomic():
            item = WishItem.objects.create(
                user=user, product=product, price_when_added_minor=product.min_price_minor
            )
    except IntegrityError:  # the same person added it at the same moment (double click)
        return WishItem.objects.get(user=user, product=product), False
    return item, True


def wishlist_remove(*, user, product: Product) -> None:
    """Take the product off the person's wish list."""
    deleted, _ = WishItem.objects.filter(user=user, product=product).delete()
    if not deleted:
        raise NotFound(gettext("This product is not on your wish list."))


def wishlist_toggle(*, user, product: Product) -> bool:
    """Add the product if it is not on the list, else remove it; returns whether it is wished."""
    if WishItem.objects.filter(user=user, product=product).delete()[0]:
        return False
    wishlist_add(user=user, product=product)
    return True


def _variant_to_buy(*, product: Product, variant: Variant | None) -> Variant:
    """The variant a move to the cart buys, or a DomainError that says what is wrong."""
    if not product_is_sold(product):
        raise Conflict(gettext("This product is no longer sold."), code="unavailable")
    sold = list(product.variants.filter(is_active=True).order_by("position", "id"))
    if variant is not None:
        if variant.product_id != product.pk:
            message = gettext("This option does not belong to this product.")
            raise DomainError(
                message, code="invalid_variant", fields={"variant_id": [message]}, status=422
            )
        if not variant.is_active:
            raise Conflict(gettext("This option is no longer sold."), code="unavailable")
        if variant.stock <= 0:
            raise Conflict(gettext("This option is out of stock."), code="out_of_stock")
        return variant
    if not any(v.stock > 0 for v in sold):
        raise Conflict(gettext("This product is out of stock."), code="out_of_stock")
    if needs_variant_choice(sold):
        message = gettext("Choose an option (such as colour or size) before moving it to the cart.")
        raise DomainError(
            message, code="variant_required", fields={"variant_id": [message]}, status=422
        )
    return next(v for v in sold if v.stock > 0)


@transaction.atomic
def wishlist_move_to_cart(*, user, product: Product, variant: Variant | None = None) -> CartLine:
    """Put one unit of the product in the cart and take it off the wish list.

    Uses the chosen variant; without a choice, the only variant (or the first
    one in stock when the variants do not differ in options). Refuses when the
    product is not on the list, no longer sold, out of stock, or needs a choice.
    """
    item = WishItem.objects.select_for_update().filter(user=user, product=product).first()
    if item is None:
        raise NotFound(gettext("This product is not on your wish list."))
    chosen = _variant_to_buy(product=product, variant=variant)
    line = cart_add(user=user, variant=chosen, quantity=1)
    item.delete()
    return line
