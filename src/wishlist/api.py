"""Wish list API (WSH-1), mounted at /api/v1/wishlist/. Authenticated (session or bearer token).

GET    /wishlist/                          the person's items, paginated (PagePagination)
POST   /wishlist/ {"product_id"}           add (201; 200 when it was already there)
DELETE /wishlist/{product_id}              remove (204; 404 when not on the list)
POST   /wishlist/{product_id}/move-to-cart {"variant_id"?}  one unit to the cart, off the list
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from ninja import Body, Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictInt

from cart.selectors import cart_count
from catalog.models import Product, Variant
from core.errors import DomainError, NotFound
from core.money import Money
from core.pagination import PagePagination
from core.schemas import MoneyOut
from wishlist import services
from wishlist.selectors import (
    MappedItems,
    WishLine,
    sellable_product,
    wish_line,
    wishlist_count,
    wishlist_items,
)

router = Router(tags=["wish list"])

Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]  # in a JSON body: a number, not "5"
PathId = Annotated[int, Field(ge=1, le=2**63 - 1)]




class WishStoreOut(Schema):
    id: int
    name: str
    slug: str


class ProductSummaryOut(Schema):
    id: int
    title: str
    slug: str
    url: str
    image_url: str | None
    store: WishStoreOut


class WishVariantOut(Schema):
    id: int
    label: str
    options: dict
    price: MoneyOut
    available: bool
    stock_state: str


class WishItemOut(Schema):
    product: ProductSummaryOut
    price: MoneyOut | None = Field(description="Lowest current price; null when no longer sold.")
    price_when_added: MoneyOut
    price_change: str | None = Field(description='"dropped", "rose" or null.')
    available: bool
    stock_state: str = Field(description="in_stock | low_stock | out_of_stock | no_longer_sold")
    stock_text: str
    needs_variant_choice: bool = Field(description="Move-to-cart needs a variant_id.")
    variants: list[WishVariantOut]
    added_at: datetime


class WishAddIn(Schema):
    product_id: Id


class MoveToCartIn(Schema):
    variant_id: Id | None = None


class CartLineOut(Schema):
    id: int
    product_id: int
    variant_id: int
    quantity: int
    unit_price: MoneyOut


class MovedOut(Schema):
    cart_line: CartLineOut
    cart_count: int
    wishlist_count: int


def _url(product: Product) -> str:
    try:
        return product.get_absolute_url()
    except NoReverseMatch:  # the product page is not routed (yet)
        return ""


def _item_out(line: WishLine) -> dict:
    product = line.product
    image = line.image
    image_url = None
    if image is not None:
        image_url = (image.thumbnail or image.image).url
    return {
        "product": {
            "id": product.pk,
            "title": product.title,
            "slug": product.slug,
            "url": _url(product),
            "image_url": image_url,
            "store": {
                "id": product.store.pk,
                "name": product.store.name,
                "slug": product.store.slug,
            },
        },
        "price": line.price,
        "price_when_added": line.price_when_added,
        "price_change": line.price_change,
        "available": line.available,
        "stock_state": line.stock.code,
        "stock_text": line.stock.text,
        "needs_variant_choice": line.needs_choice,
        "variants": [
            {
                "id": c.variant.pk,
                "label": c.label,
                "options": c.variant.options,
                "price": c.price,
                "available": c.stock.available,
                "stock_state": c.stock.code,
            }
            for c in line.choices
        ],
        "added_at": line.item.added_at,
    }


@router.get("/", response=list[WishItemOut], summary=_("List my wish list"))
@paginate(PagePagination)
def list_items(request: HttpRequest):
    return MappedItems(wishlist_items(user=request.auth), lambda item: _item_out(wish_line(item)))


@router.post("/", response={200: WishItemOut, 201: WishItemOut}, summary=_("Add a product"))
def add_item(request: HttpRequest, payload: WishAddIn):
    product = sellable_product(product_id=payload.product_id)
    if product is None:
        message = "No product with this id is for sale."
        raise DomainError(
            message, code="validation_error", fields={"product_id": [message]}, status=422
        )
    item, created = services.wishlist_add(user=request.auth, product=product)
    return Status(201 if created else 200, _item_out(wish_line(item)))


def _product(product_id: int) -> Product:
    product = Product.objects.select_related("store").filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("This product is not on your wish list."))
    return product


@router.delete("/{product_id}", response={204: None}, summary=_("Remove a product"))
def remove_item(request: HttpRequest, product_id: PathId):
    services.wishlist_remove(user=request.auth, product=_product(product_id))
    return Status(204, None)


@router.post("/{product_id}/move-to-cart", response=MovedOut, summary=_("Move an item to the cart"))
def move_to_cart(
    request: HttpRequest, product_id: PathId, payload: Annotated[MoveToCartIn | None, Body()] = None
):
    product = _product(product_id)
    variant = None
    if payload is not None and payload.variant_id is not None:
        variant = Variant.objects.filter(pk=payload.variant_id).first()
        if variant is None:
            message = "No variant with this id."
            raise DomainError(
                message, code="validation_error", fields={"variant_id": [message]}, status=422
            )
    line = services.wishlist_move_to_cart(user=request.auth, product=product, variant=variant)
    return {
        "cart_line": {
            "id": line.pk,
            "product_id": product.pk,
            "variant_id": line.variant_id,
            "quantity": line.quantity,
            "unit_price": Money(line.variant.price_minor, product.currency),
        },
        "cart_count": cart_count(user=request.auth),
        "wishlist_count": wishlist_count(user=request.auth),
    }
