"""Cart writes (a minimal cart; checkout and orders come later, ORD-1).

Every write checks the variant is still sold and that the line never asks for
more than the stock on hand. Stock is not reserved by a cart: checkout checks
it again under a lock.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cart.models import CartLine
from cart.selectors import MAX_LINE_QUANTITY, variant_is_sold
from catalog.models import Variant
from core.errors import Conflict, DomainError, NotFound
from deadlines.rows import db_datetime, for_update, sql_row


def _check_quantity(quantity: object) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise DomainError(
            _("Enter a whole number."),
            code="invalid_quantity",
            fields={"quantity": [_("Enter a whole number.")]},
            status=422,
        )
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        message = _("Choose a quantity from 1 to %(max)s.") % {"max": MAX_LINE_QUANTITY}
        raise DomainError(
            message, code="invalid_quantity", fields={"quantity": [message]}, status=422
        )
    return quantity


def _locked_variant(variant: Variant) -> Variant:
    """The variant re-read under a row lock (PostgreSQL), with its product and store."""
    return (
        Variant.objects.select_for_update(of=("self",))
        .select_related("product__store")
        .get(pk=variant.pk)
    )


def _check_stock(*, variant: Variant, quantity: int, already: int = 0) -> None:
    _check_stock_values(
        sold=variant_is_sold(variant), stock=variant.stock, quantity=quantity, already=already
    )


def _check_stock_values(*, sold: bool, stock: int, quantity: int, already: int = 0) -> None:
    if not sold:
        raise Conflict(_("This item is no longer sold."), code="unavailable")
    if stock <= 0:
        raise Conflict(_("This item is out of stock."), code="out_of_stock")
    if quantity > stock:
        if already:
            counts = {"stock": stock, "already": already}
            message = (
                _("Only %(stock)s left, and %(already)s already in your cart.") % counts
                if already < stock
                else _("Only %(stock)s left, and you already have them all in your cart.") % counts
            )
        else:
            message = _("Only %(stock)s left.") % {"stock": stock}
        raise Conflict(message, code="not_enough_stock", fields={"quantity": [message]})


# cart_add in two statements: the variant (with its product's and store's flags) read under its
# row lock, then the line merged by one upsert whose quantity is added by the database (so a
# concurrent add of the same variant is counted). The checks run on what the upsert returns; a
# refusal raises, and cart_add's transaction (or savepoint) takes the write back.
_VARIANT_SQL = (
    'SELECT v.price_minor, v.stock, v.is_active AND p.is_active AND s.is_active FROM "catalog_variant" v'
    ' JOIN "catalog_product" p ON p.id = v.product_id JOIN "catalog_store" s ON s.id = p.store_id'
    " WHERE v.id = %s"
)
_LINE_UPSERT_SQL = (
    'INSERT INTO "cart_cartline" ("user_id", "variant_id", "quantity", "price_seen_minor", "added_at")'
    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id, variant_id) DO UPDATE SET"
    ' quantity = "cart_cartline".quantity + excluded.quantity, price_seen_minor = excluded.price_seen_minor'
    " RETURNING id, quantity, added_at"
)


@transaction.atomic
def cart_add(*, user, variant: Variant, quantity: int) -> CartLine:
    """Add `quantity` units of `variant`, merging with the line already in the cart.

    Refuses an inactive variant (or product or store), an out-of-stock one, a
    quantity outside 1..MAX_LINE_QUANTITY, and a total above the stock. The line
    remembers the unit price the buyer saw now (price_seen_minor).
    """
    quantity = _check_quantity(quantity)
    row = sql_row(_VARIANT_SQL + for_update("v"), [variant.pk])  # locked first, as checkout does
    if row is None:
        raise Variant.DoesNotExist("Variant matching query does not exist.")
    price_minor, stock, sold = row
    added_at = timezone.now()
    line_id, total, line_added_at = sql_row(
        _LINE_UPSERT_SQL, [user.pk, variant.pk, quantity, price_minor, added_at]
    )
    already = total - quantity
    if total > MAX_LINE_QUANTITY:
        message = _("A cart line holds at most %(max)s units.") % {"max": MAX_LINE_QUANTITY}
        raise DomainError(
            message, code="invalid_quantity", fields={"quantity": [message]}, status=422
        )
    _check_stock_values(sold=bool(sold), stock=stock, quantity=total, already=already)
    line = CartLine(
        id=line_id, user_id=user.pk, variant_id=variant.pk, quantity=total, price_seen_minor=price_minor,
        added_at=added_at if not already else db_datetime(line_added_at),
    )
    line._state.adding, line._state.db = False, connection.alias
    line._state.fields_cache["user"] = user
    return line


def _own_line(*, user, line_id: int) -> CartLine:
    line = CartLine.objects.select_for_update().filter(user=user, pk=line_id).first()
    if line is None:
        raise NotFound(_("This item is not in your cart."))
    return line


@transaction.atomic
def cart_update_quantity(*, user, line_id: int, quantity: int) -> CartLine:
    """Set the quantity of one of the person's lines (1..MAX_LINE_QUANTITY, at most the stock).

    Lowering a quantity is always allowed while the item is sold, even when it
    is still above the stock, so the buyer can step down to what is left.
    """
    quantity = _check_quantity(quantity)
    line = _own_line(user=user, line_id=line_id)
    variant = _locked_variant(line.variant)
    if quantity > line.quantity or not variant_is_sold(variant):
        _check_stock(variant=variant, quantity=quantity)
    line.quantity = quantity
    line.price_seen_minor = variant.price_minor  # the buyer sees the current price on the cart page
    line.save(update_fields=["quantity", "price_seen_minor"])
    return line


@transaction.atomic
def cart_remove(*, user, line_id: int) -> None:
    """Remove one of the person's lines."""
    _own_line(user=user, line_id=line_id).delete()
