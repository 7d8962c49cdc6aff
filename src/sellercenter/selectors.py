"""Reads for the seller center. Every lookup is scoped to the seller's own store, so
another seller's product, variant, image or shipping method is simply not found (404)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from catalog.models import (
    Category,
    DeliveryEstimate,
    Product,
    ProductImage,
    ShippingMethod,
    Store,
    Variant,
)

# A variant with this many units or fewer left is flagged on the dashboard.
LOW_STOCK_THRESHOLD = 3


def store_of(*, user) -> Store | None:
    """The store the signed-in person owns, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Store.objects.filter(owner=user).first()


def seller_products(*, store: Store, active: bool | None = None, q: str = "") -> QuerySet[Product]:
    products = (
        Product.objects.filter(store=store)
        .select_related("category")
        .annotate(variant_count=Count("variants", distinct=True),
                  image_count=Count("images", distinct=True))
        .order_by("-created_at", "-pk")
    )
    if active is not None:
        products = products.filter(is_active=active)
    if q:
        products = products.filter(Q(title__icontains=q) | Q(variants__sku__iexact=q)).distinct()
    return products


def seller_product(*, store: Store, pk: int) -> Product:
    """One product of the store with its variants, images and shipping methods, or Http404."""
    product = (
        Product.objects.filter(store=store, pk=pk)
        .select_related("category", "store")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            "shipping_methods",
        )
        .first()
    )
    if product is None:
        raise Http404("No such product in your store.")
    return product


def seller_variant(*, product: Product, pk: int) -> Variant:
    variant = Variant.objects.filter(product=product, pk=pk).first()
    if variant is None:
        raise Http404("No such variant.")
    return variant


def seller_image(*, product: Product, pk: int) -> ProductImage:
    image = ProductImage.objects.filter(product=product, pk=pk).first()
    if image is None:
        raise Http404("No such image.")
    return image


def seller_shipping_methods(*, store: Store) -> QuerySet[ShippingMethod]:
    return (
        ShippingMethod.objects.filter(store=store)
        .prefetch_related(
            Prefetch("estimates", queryset=DeliveryEstimate.objects.order_by("country"))
        )
        .annotate(product_count=Count("products", distinct=True))
        .order_by("name")
    )


def seller_shipping_method(*, store: Store, pk: int) -> ShippingMethod:
    method = seller_shipping_methods(store=store).filter(pk=pk).first()
    if method is None:
        raise Http404("No such shipping method in your store.")
    return method


def category_choices() -> list[tuple[int, str]]:
    """Categories for a select, children shown under their parent (“Textiles › Story cloths”)."""
    categories = list(Category.objects.select_related("parent"))
    labelled = [
        (c.pk, f"{c.parent.name} › {c.name}" if c.parent_id else c.name) for c in categories
    ]
    return sorted(labelled, key=lambda pair: pair[1].casefold())


@dataclass(frozen=True)
class StoreHealth:
    """What the dashboard asks the seller to look at."""

    out_of_stock: list[Variant]
    low_stock: list[Variant]
    without_variants: list[Product]
    without_images: list[Product]
    without_shipping: list[Product]
    product_count: int
    active_count: int

    @property
    def has_warnings(self) -> bool:
        return any((self.out_of_stock, self.low_stock, self.without_variants,
                    self.without_images, self.without_shipping))


def store_health(*, store: Store, limit: int = 20) -> StoreHealth:
    """Stock warnings and incomplete listings among the store's listed products."""
    listed = Variant.objects.filter(
        product__store=store, product__is_active=True, is_active=True
    ).select_related("product").order_by("stock", "product__title", "position")
    products = seller_products(store=store, active=True).annotate(
        method_count=Count("shipping_methods", distinct=True)
    )
    counts = Product.objects.filter(store=store).aggregate(
        total=Count("pk"), active=Count("pk", filter=Q(is_active=True))
    )
    return StoreHealth(
        out_of_stock=list(listed.filter(stock=0)[:limit]),
        low_stock=list(listed.filter(stock__gt=0, stock__lte=LOW_STOCK_THRESHOLD)[:limit]),
        without_variants=list(products.filter(variant_count=0)[:limit]),
        without_images=list(products.filter(image_count=0)[:limit]),
        without_shipping=list(products.filter(method_count=0)[:limit]),
        product_count=counts["total"],
        active_count=counts["active"],
    )
