"""Cart API, mounted at /api/v1/cart/. Authenticated (session or bearer token).

    GET    /cart/                               the cart grouped by store (one future order each, ORD-1)
    POST   /cart/lines {"variant_id", "quantity"}   add (201; 200 when merged into a line already there)
    PATCH  /cart/lines/{id} {"quantity"}        set the quantity of one of your lines
    DELETE /cart/lines/{id}                     remove it (204)

Every write answers with the whole cart. Prices are current prices, with the price
the buyer saw when adding (`price_seen`) and `price_change` ("dropped", "rose" or
null); `problem` says why a line cannot be bought as it is. Checkout:
POST /api/v1/checkout (orders.api).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt

from cart import services
from cart.models import CartLine
from cart.selectors import CartLineView, CartView, cart_summary
from catalog.models import Variant
from core.errors import Conflict, DomainError
from core.schemas import ErrorOut, MoneyOut

router = Router(tags=["cart"])

Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]  # in a JSON body: a number, not "5"
PathId = Annotated[int, Field(ge=1, le=2**63 - 1)]






class CartStoreRef(Schema):
    id: int
    name: str
    slug: str


class CartProductOut(Schema):
    id: int
    title: str
    slug: str
    url: str
    image_url: str | None


class CartVariantOut(Schema):
    id: int
    label: str
    options: dict


class CartItemOut(Schema):
    id: int
    product: CartProductOut
    variant: CartVariantOut
    quantity: int
    max_quantity: int = Field(description="The most this line may hold now (stock, at most 999).")
    unit_price: MoneyOut
    line_total: MoneyOut
    price_seen: MoneyOut = Field(description="The unit price when you added or last changed it.")
    price_change: str | None = Field(description='"dropped", "rose" or null.')
    available: bool
    stock_state: str = Field(description="in_stock | low_stock | out_of_stock | no_longer_sold")
    stock_text: str
    problem: str | None = Field(description="Why this line cannot be bought as it is, or null.")
    added_at: dt.datetime


class CartGroupOut(Schema):
    store: CartStoreRef
    lines: list[CartItemOut]
    subtotals: list[MoneyOut] = Field(description="Per currency; lines with a problem left out.")


class CartOut(Schema):
    stores: list[CartGroupOut]
    count: int = Field(description="Units in the cart.")
    has_problems: bool
    is_empty: bool


class CartLineIn(Schema):
    variant_id: Id
    quantity: StrictInt = 1


class CartLinePatch(Schema):
    quantity: StrictInt


def _url(product) -> str:
    try:
        return product.get_absolute_url()
    except NoReverseMatch:
        return ""


def _line_out(view: CartLineView) -> dict:
    product, variant = view.product, view.variant
    image = view.image
    return {
        "id": view.line.pk,
        "product": {
            "id": product.pk,
            "title": product.title,
            "slug": product.slug,
            "url": _url(product),
            "image_url": (image.thumbnail or image.image).url if image is not None else None,
        },
        "variant": {"id": variant.pk, "label": variant.label, "options": variant.options},
        "quantity": view.quantity,
        "max_quantity": view.max_quantity,
        "unit_price": view.unit_price,
        "line_total": view.line_total,
        "price_seen": view.price_seen,
        "price_change": view.price_change,
        "available": view.stock.available,
        "stock_state": view.stock.code,
        "stock_text": view.stock.text,
        "problem": view.problem,
        "added_at": view.line.added_at,
    }


def _cart_out(cart: CartView) -> dict:
    return {
        "stores": [
            {
                "store": {"id": g.store.pk, "name": g.store.name, "slug": g.store.slug},
                "lines": [_line_out(view) for view in g.lines],
                "subtotals": list(g.subtotals),
            }
            for g in cart.stores
        ],
        "count": cart.count,
        "has_problems": cart.has_problems,
        "is_empty": cart.is_empty,
    }


def _cart(request) -> dict:
    return _cart_out(cart_summary(user=request.auth, locale=""))


@router.get("/", response=CartOut, summary=_("My cart, grouped by store"))
def cart_get(request):
    return _cart(request)


@router.post(
    "/lines",
    response={200: CartOut, 201: CartOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary=_("Add a variant to the cart"),
)
def cart_line_add(request, payload: CartLineIn):
    """Adds `quantity` units (1–999, at most the stock) of a variant; a variant already in the
    cart gets the units added to its line."""
    variant = Variant.objects.filter(pk=payload.variant_id).first()
    if variant is None:
        message = _("No variant with this id is for sale.")
        raise DomainError(message, code="validation_error", fields={"variant_id": [message]},
                          status=422)
    existed = CartLine.objects.filter(user=request.auth, variant=variant).exists()
    try:
        services.cart_add(user=request.auth, variant=variant, quantity=payload.quantity)
    except Conflict as error:
        if not error.fields:
            error.fields = {"variant_id": [error.message]}
        raise
    return Status(200 if existed else 201, _cart(request))


@router.patch(
    "/lines/{line_id}",
    response={200: CartOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary=_("Change the quantity of a line"),
)
def cart_line_update(request, line_id: PathId, payload: CartLinePatch):
    """Lowering a quantity is always allowed while the item is sold; raising it is checked
    against the stock."""
    services.cart_update_quantity(user=request.auth, line_id=line_id, quantity=payload.quantity)
    return _cart(request)


@router.delete(
    "/lines/{line_id}", response={204: None, 401: ErrorOut, 404: ErrorOut}, summary=_("Remove a line")
)
def cart_line_remove(request, line_id: PathId):
    services.cart_remove(user=request.auth, line_id=line_id)
    return Status(204, None)
