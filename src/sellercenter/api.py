"""Seller API (CAT-1), mounted at /api/v1/seller/. Every endpoint needs a signed-in
seller (session or bearer token).

    GET/POST/PATCH  /seller/store
    GET/POST        /seller/products                      (GET paginated: PagePagination)
    GET/PATCH       /seller/products/{id}
    DELETE          /seller/products/{id}                 unlists (is_active=false)
    POST            /seller/products/{id}/variants
    PATCH/DELETE    /seller/products/{id}/variants/{variant_id}
    POST            /seller/products/{id}/images          multipart: image (file), alt_text
    PATCH/DELETE    /seller/products/{id}/images/{image_id}
    GET/POST        /seller/shipping-methods
    PATCH/DELETE    /seller/shipping-methods/{id}
    PUT/DELETE      /seller/shipping-methods/{id}/estimates/{country}   country: ISO code or ROW

Prices are integer minor units: `price_minor` (in the product's currency), or a
`price` object {"amount": 2450, "currency": "USD"}. Errors use the one shape of
core.api_errors; a person without a store gets 409 with code "no_store"; another
seller's object is 404.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate
from pydantic import StrictBool, StrictInt

from catalog import services
from catalog.models import DeliveryEstimate, Product, ProductImage, ShippingMethod, Store
from core.errors import Conflict, DomainError
from core.money import Money
from core.pagination import PagePagination
from core.schemas import MoneyOut
from sellercenter import selectors

router = Router(tags=["seller"])

ROW = "ROW"  # the delivery estimate for every country without its own


# --- schemas ---------------------------------------------------------------------


class MoneyIn(Schema):
    amount: StrictInt
    currency: str




class StoreIn(Schema):
    name: str
    tagline: str = ""
    description: str = ""
    ships_from: str
    currency: str = "USD"


class StorePatch(Schema):
    name: str | None = None
    tagline: str | None = None
    description: str | None = None
    ships_from: str | None = None
    currency: str | None = None


class SellerStoreOut(Schema):
    id: int
    name: str
    slug: str
    tagline: str
    description: str
    ships_from: str
    currency: str
    is_active: bool
    created_at: dt.datetime


class VariantIn(Schema):
    sku: str
    options: dict[str, str] = {}
    price_minor: StrictInt | None = None
    price: MoneyIn | None = None
    stock: StrictInt


class VariantPatch(Schema):
    sku: str | None = None
    options: dict[str, str] | None = None
    price_minor: StrictInt | None = None
    price: MoneyIn | None = None
    stock: StrictInt | None = None


class SellerVariantOut(Schema):
    id: int
    sku: str
    options: dict[str, str]
    price_minor: int
    price: MoneyOut
    stock: int
    position: int
    is_active: bool


class SellerImageOut(Schema):
    id: int
    url: str
    thumbnail_url: str
    width: int
    height: int
    alt_text: str
    position: int

    @staticmethod
    def resolve_url(obj: ProductImage) -> str:
        return obj.image.url


class ImagePatch(Schema):
    alt_text: str


class SellerCategoryOut(Schema):
    id: int
    name: str
    slug: str


class ProductIn(Schema):
    category_id: StrictInt
    title: str
    description: str = ""
    currency: str = ""
    processing_days: StrictInt | None = None
    free_return: StrictBool = False
    warranty: StrictBool = False
    domestic_delivery: StrictBool = False
    warehouse_country: str = ""
    shipping_method_ids: list[StrictInt] = []


class ProductPatch(Schema):
    category_id: StrictInt | None = None
    title: str | None = None
    description: str | None = None
    currency: str | None = None
    processing_days: StrictInt | None = None
    free_return: StrictBool | None = None
    warranty: StrictBool | None = None
    domestic_delivery: StrictBool | None = None
    warehouse_country: str | None = None
    shipping_method_ids: list[StrictInt] | None = None
    is_active: StrictBool | None = None


class ProductOut(Schema):
    id: int
    slug: str
    url: str
    title: str
    description: str
    category: SellerCategoryOut
    currency: str
    processing_days: int
    free_return: bool
    warranty: bool
    domestic_delivery: bool
    warehouse_country: str
    shipping_method_ids: list[int]
    is_active: bool
    min_price: MoneyOut
    total_stock: int
    variants: list[SellerVariantOut]
    images: list[SellerImageOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_url(obj: Product) -> str:
        return obj.get_absolute_url()

    @staticmethod
    def resolve_shipping_method_ids(obj: Product) -> list[int]:
        return [m.pk for m in obj.shipping_methods.all()]

    @staticmethod
    def resolve_min_price(obj: Product) -> Money:
        return obj.price

    @staticmethod
    def resolve_variants(obj: Product) -> list:
        return list(obj.variants.all())

    @staticmethod
    def resolve_images(obj: Product) -> list:
        return list(obj.images.all())


class ShippingMethodIn(Schema):
    name: str
    carrier: str
    price_minor: StrictInt | None = None
    price: MoneyIn | None = None
    currency: str = ""
    is_tracked: StrictBool = True


class ShippingMethodPatch(Schema):
    name: str | None = None
    carrier: str | None = None
    price_minor: StrictInt | None = None
    price: MoneyIn | None = None
    currency: str | None = None
    is_tracked: StrictBool | None = None


class EstimateIn(Schema):
    min_days: StrictInt
    max_days: StrictInt


class SellerEstimateOut(Schema):
    country: str
    min_days: int
    max_days: int

    @staticmethod
    def resolve_country(obj: DeliveryEstimate) -> str:
        return obj.country or ROW


class ShippingMethodOut(Schema):
    id: int
    name: str
    carrier: str
    price_minor: int
    price: MoneyOut
    currency: str
    is_tracked: bool
    estimates: list[SellerEstimateOut]

    @staticmethod
    def resolve_estimates(obj: ShippingMethod) -> list:
        return list(obj.estimates.all())


class VariantDeleted(Schema):
    deleted: bool
    message: str


# --- helpers -----------------------------------------------------------------------


def _store(request) -> Store:
    store = selectors.store_of(user=request.user)
    if store is None:
        raise Conflict(_("Open your store first (POST /api/v1/seller/store)."), code="no_store")
    return store


def _product(request, product_id: int) -> Product:
    return selectors.seller_product(store=_store(request), pk=product_id)


def _renamed(error: DomainError, names: dict[str, str]) -> DomainError:
    """The same error with service field names turned into this API's field names."""
    error.fields = {names.get(k, k): v for k, v in error.fields.items()}
    return error


def _price_minor(data: dict, currency: str, *, field: str = "price_minor") -> None:
    """Fold an optional {"amount", "currency"} `price` object into `price_minor` (in place)."""
    price = data.pop("price", None)
    if price is None:
        return
    if price["currency"].strip().upper() != currency:
        raise services.invalid({"price.currency": [
            _("Prices here are in %(currency)s; give the amount in %(currency)s.") % {"currency": currency}]})
    if data.get(field) is not None and data[field] != price["amount"]:
        raise services.invalid({field: [_("Give either price_minor or price, not two amounts.")]})
    data[field] = price["amount"]


# --- store ---------------------------------------------------------------------------


@router.get("/store", response=SellerStoreOut)
def store_get(request):
    """Your store."""
    return _store(request)


@router.post("/store", response={201: SellerStoreOut})
def store_post(request, payload: StoreIn):
    """Open your store (one per account)."""
    return Status(201, services.store_create(owner=request.user, **payload.model_dump()))


@router.patch("/store", response=SellerStoreOut)
def store_patch(request, payload: StorePatch):
    return services.store_update(store=_store(request), **payload.model_dump(exclude_unset=True))


# --- products ------------------------------------------------------------------------

PRODUCT_FIELDS = {"category": "category_id"}


def _product_out(store: Store, pk: int) -> Product:
    return selectors.seller_product(store=store, pk=pk)


@router.get("/products", response=list[ProductOut])
@paginate(PagePagination)
def products_list(request, active: bool | None = None, q: str = ""):
    """Your products, newest first; `active` filters listed/unlisted, `q` matches title or SKU."""
    products = selectors.seller_products(store=_store(request), active=active, q=q[:100])
    return products.prefetch_related("variants", "images", "shipping_methods")


@router.post("/products", response={201: ProductOut})
def products_post(request, payload: ProductIn):
    store = _store(request)
    data = payload.model_dump()
    data["category"] = data.pop("category_id")
    try:
        product = services.product_create(store=store, **data)
    except DomainError as error:
        raise _renamed(error, PRODUCT_FIELDS) from None
    return Status(201, _product_out(store, product.pk))


@router.get("/products/{product_id}", response=ProductOut)
def products_get(request, product_id: int):
    return _product(request, product_id)


@router.patch("/products/{product_id}", response=ProductOut)
def products_patch(request, product_id: int, payload: ProductPatch):
    """Change a product; only the fields sent change. `is_active` lists or unlists it."""
    product = _product(request, product_id)
    data = payload.model_dump(exclude_unset=True)
    active = data.pop("is_active", None)
    if "category_id" in data:
        data["category"] = data.pop("category_id")
    try:
        if data:
            product = services.product_update(product=product, **data)
        if active is not None:
            services.product_set_active(product=product, active=active)
    except DomainError as error:
        raise _renamed(error, PRODUCT_FIELDS) from None
    return _product_out(product.store, product.pk)


@router.delete("/products/{product_id}", response=ProductOut)
def products_delete(request, product_id: int):
    """Unlist the product: it leaves search and can no longer be bought. PATCH is_active to
    list it again."""
    product = _product(request, product_id)
    services.product_set_active(product=product, active=False)
    return _product_out(product.store, product.pk)


# --- variants --------------------------------------------------------------------------


@router.post("/products/{product_id}/variants", response={201: SellerVariantOut})
def variants_post(request, product_id: int, payload: VariantIn):
    product = _product(request, product_id)
    data = payload.model_dump()
    _price_minor(data, product.currency)
    return Status(201, services.variant_create(product=product, **data))


@router.patch("/products/{product_id}/variants/{variant_id}", response=SellerVariantOut)
def variants_patch(request, product_id: int, variant_id: int, payload: VariantPatch):
    product = _product(request, product_id)
    variant = selectors.seller_variant(product=product, pk=variant_id)
    data = payload.model_dump(exclude_unset=True)
    _price_minor(data, product.currency)
    return services.variant_update(variant=variant, **data)


@router.delete("/products/{product_id}/variants/{variant_id}", response=VariantDeleted)
def variants_delete(request, product_id: int, variant_id: int):
    """Remove a variant; one that orders refer to is switched off instead (deleted=false)."""
    product = _product(request, product_id)
    variant = selectors.seller_variant(product=product, pk=variant_id)
    deleted = services.variant_delete(variant=variant)
    return {"deleted": deleted,
            "message": _("Variant removed.") if deleted else
            _("Orders refer to this variant, so it was switched off instead.")}


# --- images ------------------------------------------------------------------------------


@router.post("/products/{product_id}/images", response={201: SellerImageOut})
def images_post(request, product_id: int, image: File[UploadedFile],
                alt_text: Form[str] = ""):
    """Upload one picture (multipart/form-data: `image`, optional `alt_text`).
    JPEG, PNG or WebP, checked by content; a thumbnail is made."""
    product = _product(request, product_id)
    return Status(201, services.product_image_add(product=product, upload=image, alt_text=alt_text))


@router.patch("/products/{product_id}/images/{image_id}", response=SellerImageOut)
def images_patch(request, product_id: int, image_id: int, payload: ImagePatch):
    image = selectors.seller_image(product=_product(request, product_id), pk=image_id)
    return services.product_image_update(image=image, alt_text=payload.alt_text)


@router.delete("/products/{product_id}/images/{image_id}", response={204: None})
def images_delete(request, product_id: int, image_id: int):
    image = selectors.seller_image(product=_product(request, product_id), pk=image_id)
    services.product_image_delete(image=image)
    return Status(204, None)


# --- shipping methods ------------------------------------------------------------------------


def _method(request, method_id: int) -> ShippingMethod:
    return selectors.seller_shipping_method(store=_store(request), pk=method_id)


@router.get("/shipping-methods", response=list[ShippingMethodOut])
def shipping_list(request):
    return list(selectors.seller_shipping_methods(store=_store(request)))


@router.post("/shipping-methods", response={201: ShippingMethodOut})
def shipping_post(request, payload: ShippingMethodIn):
    store = _store(request)
    data = payload.model_dump()
    _price_minor(data, (data["currency"] or store.currency).strip().upper())
    if data["price_minor"] is None:
        data["price_minor"] = 0
    method = services.shipping_method_create(store=store, **data)
    return Status(201, selectors.seller_shipping_method(store=store, pk=method.pk))


@router.patch("/shipping-methods/{method_id}", response=ShippingMethodOut)
def shipping_patch(request, method_id: int, payload: ShippingMethodPatch):
    method = _method(request, method_id)
    data = payload.model_dump(exclude_unset=True)
    _price_minor(data, (data.get("currency") or method.currency).strip().upper())
    services.shipping_method_update(method=method, **data)
    return selectors.seller_shipping_method(store=method.store, pk=method.pk)


@router.delete("/shipping-methods/{method_id}", response={204: None})
def shipping_delete(request, method_id: int):
    services.shipping_method_delete(method=_method(request, method_id))
    return Status(204, None)


def _country_param(country: str) -> str:
    return "" if country.upper() == ROW else country


@router.put("/shipping-methods/{method_id}/estimates/{country}", response=SellerEstimateOut)
def estimate_put(request, method_id: int, country: str, payload: EstimateIn):
    """Set the delivery time to `country` (ISO code, or ROW for every other country)."""
    return services.delivery_estimate_set(method=_method(request, method_id),
                                          country=_country_param(country), **payload.model_dump())


@router.delete("/shipping-methods/{method_id}/estimates/{country}", response={204: None})
def estimate_delete(request, method_id: int, country: str):
    method = _method(request, method_id)
    if not services.delivery_estimate_delete(method=method, country=_country_param(country)):
        raise DomainError(_("This shipping method has no delivery time for that destination."),
                          code="not_found", status=404)
    return Status(204, None)
