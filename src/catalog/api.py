"""Public catalog API (CAT-1, CAT-2, CAT-3), mounted at /api/v1/catalog/.

Every endpoint here is public (auth=None). Prices are {"amount": <minor units>, "currency": "<ISO>"}.
Errors use the one shape of core.api_errors: bad query parameters → 422 with
field messages, unknown slug → 404.
"""

from typing import Literal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import field_validator

from catalog.models import Category, Product, Store
from catalog.selectors import (
    MAX_QUERY_LENGTH,
    category_list,
    product_delivery_options,
    product_detail,
    product_search,
    store_get,
    store_list,
)
from core.countries import is_country
from core.errors import DomainError, NotFound
from core.money import currencies
from core.pagination import PagePagination
from core.schemas import MoneyOut

router = Router(tags=["catalog"])


# --- schemas -------------------------------------------------------------------



class StoreSummary(Schema):
    slug: str
    name: str
    ships_from: str
    url: str

    @staticmethod
    def resolve_url(obj: Store) -> str:
        return reverse("catalog:store", kwargs={"slug": obj.slug})


class StoreOut(StoreSummary):
    tagline: str
    currency: str
    product_count: int


class StoreDetailOut(StoreOut):
    description: str


class CategoryOut(Schema):
    slug: str
    name: str
    description: str
    parent: str | None

    @staticmethod
    def resolve_parent(obj: Category) -> str | None:
        return obj.parent.slug if obj.parent_id else None


class CategoryRef(Schema):
    slug: str
    name: str


class BadgesOut(Schema):
    free_return: bool
    warranty: bool
    domestic_delivery: bool
    warehouse_country: str


class ProductListItem(Schema):
    slug: str
    title: str
    url: str
    price: MoneyOut
    price_usd: MoneyOut
    in_stock: bool
    stock: int
    processing_days: int
    badges: BadgesOut
    category: CategoryRef
    store: StoreSummary
    image: str | None = Field(description="Thumbnail (or picture) URL of the first image.")

    @staticmethod
    def resolve_url(obj: Product) -> str:
        return obj.get_absolute_url()

    @staticmethod
    def resolve_price_usd(obj: Product) -> dict:
        return {"amount": obj.price_usd_minor, "currency": "USD"}

    @staticmethod
    def resolve_stock(obj: Product) -> int:
        return obj.total_stock

    @staticmethod
    def resolve_badges(obj: Product) -> dict:
        return {"free_return": obj.free_return, "warranty": obj.warranty,
                "domestic_delivery": obj.domestic_delivery,
                "warehouse_country": obj.warehouse_country}

    @staticmethod
    def resolve_image(obj: Product, context) -> str | None:
        images = getattr(obj, "first_images", None) or getattr(obj, "all_images", None)
        if not images:
            return None
        return context["request"].build_absolute_uri(images[0].thumbnail_url)


class VariantOut(Schema):
    id: int
    sku: str
    options: dict[str, str]
    label: str
    price: MoneyOut
    stock: int
    available: bool

    @staticmethod
    def resolve_options(obj) -> dict[str, str]:
        return {str(k): str(v) for k, v in obj.options.items()}


class ImageOut(Schema):
    url: str
    thumbnail_url: str
    alt: str
    width: int
    height: int

    @staticmethod
    def resolve_url(obj, context) -> str:
        return context["request"].build_absolute_uri(obj.image.url)

    @staticmethod
    def resolve_thumbnail_url(obj, context) -> str:
        return context["request"].build_absolute_uri(obj.thumbnail_url)

    @staticmethod
    def resolve_alt(obj) -> str:
        return obj.alt_text or obj.product.title


class EstimateOut(Schema):
    min_days: int
    max_days: int
    country: str = Field(
        description="The destination it was set for; empty for the 'everywhere else' fallback.")


class ShippingOut(Schema):
    """One shipping method (a catalog.selectors.DeliveryOption) seen from the destination."""

    name: str
    carrier: str
    price: MoneyOut
    tracked: bool
    delivers: bool = Field(description="False when the method does not deliver to the country.")
    estimate: EstimateOut | None = Field(description="Days from shipment to delivery.")

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.method.name

    @staticmethod
    def resolve_carrier(obj) -> str:
        return obj.method.carrier

    @staticmethod
    def resolve_price(obj) -> dict:
        return {"amount": obj.method.price_minor, "currency": obj.method.currency}

    @staticmethod
    def resolve_tracked(obj) -> bool:
        return obj.method.is_tracked


class ProductDetailOut(ProductListItem):
    description: str
    variants: list[VariantOut]
    images: list[ImageOut]
    shipping_country: str = Field(description="The destination the estimates are for.")
    shipping: list[ShippingOut]

    @staticmethod
    def resolve_variants(obj: Product) -> list:
        return obj.active_variants

    @staticmethod
    def resolve_images(obj: Product) -> list:
        return obj.all_images


class ProductFilters(Schema):
    """Same filters as the search page (CAT-2). Prices are minor units of `currency`."""

    q: str = Field("", max_length=MAX_QUERY_LENGTH, description="Words to find.")
    category: str = Field("", max_length=80, description="Category slug (sub-categories included).")
    price_min: int | None = Field(None, ge=0, description="Lowest price, minor units of `currency`.")
    price_max: int | None = Field(None, ge=0, description="Highest price, minor units of `currency`.")
    currency: str = Field("USD", description="Currency of price_min/price_max.")
    store: str = Field("", max_length=80, description="Store slug.")
    ships_from: str = Field("", max_length=2, description="ISO country code of the store's origin.")
    free_return: bool = Field(False, description="Free Return items only.")
    sort: Literal["", "relevance", "price_asc", "price_desc", "newest"] = ""

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        value = value.upper()
        if value not in currencies():
            raise ValueError(_("Unknown currency."))
        return value

    @field_validator("ships_from")
    @classmethod
    def _known_country(cls, value: str) -> str:
        value = value.upper()
        if value and not is_country(value):
            raise ValueError(_("Unknown country code."))
        return value


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(_("Some fields are invalid."), code="validation_error",
                       fields={field: [message]}, status=422)


# --- endpoints -------------------------------------------------------------------

@router.get("/products", auth=None, response=list[ProductListItem])
@paginate(PagePagination)
def products_list(request, filters: Query[ProductFilters]):
    """Search and browse products (CAT-2)."""
    category = store = None
    if filters.category:
        category = Category.objects.filter(slug=filters.category).first()
        if category is None:
            raise _invalid("category", _("Unknown category."))
    if filters.store:
        store = Store.objects.filter(slug=filters.store, is_active=True).first()
        if store is None:
            raise _invalid("store", _("Unknown store."))
    if filters.price_min is not None and filters.price_max is not None \
            and filters.price_min > filters.price_max:
        raise _invalid("price_max", _("The highest price must not be below the lowest price."))
    return product_search(
        q=filters.q, category=category, price_min=filters.price_min, price_max=filters.price_max,
        currency=filters.currency, store=store, ships_from=filters.ships_from,
        free_return_only=filters.free_return, sort=filters.sort,
    )


@router.get("/products/{slug}", auth=None, response=ProductDetailOut)
def products_detail(request, slug: str,
                    country: str = Query("", description="ISO code of the destination; "
                                                         "default: the visitor's country.")):
    """One product (CAT-3) with variants, images, badges and delivery estimates for `country`."""
    country = (country or request.visitor_country).upper()
    if not is_country(country):
        raise _invalid("country", _("Unknown country code."))
    product = product_detail(slug=slug)
    if product is None:
        raise NotFound(_("No such product."))
    product.shipping_country = country
    product.shipping = product_delivery_options(product=product, country=country)
    return product


@router.get("/stores", auth=None, response=list[StoreOut])
@paginate(PagePagination)
def stores_list(request):
    """Open stores, by name, with their number of products."""
    return store_list()


@router.get("/stores/{slug}", auth=None, response=StoreDetailOut)
def stores_detail(request, slug: str):
    store = store_get(slug=slug)
    if store is None:
        raise NotFound(_("No such store."))
    return store


@router.get("/categories", auth=None, response=list[CategoryOut])
def categories_list(request):
    """Every category; `parent` is the parent's slug (null for top-level ones)."""
    return category_list()
