"""Catalog writes. Every change that can alter a price, stock or listing goes
through here so the derived product columns and the catalog version (used in
cache keys) stay exact."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Min, Q, Sum

from catalog.models import Product, Variant
from core.counters import counter_bump
from core.money import to_usd_minor

CATALOG_VERSION = "catalog"


def catalog_changed() -> None:
    """Bump the catalog version so cached listings and product pages are rebuilt."""
    counter_bump(CATALOG_VERSION)


def product_search_text(product: Product) -> str:
    parts = [product.title, product.description, product.store.name, product.category.name]
    parts += [str(value) for v in product.variants.all() for value in v.options.values()]
    return " ".join(parts).lower()


@transaction.atomic
def product_refresh_summary(*, product: Product) -> Product:
    """Recompute lowest price, its US-cent value, total stock and search text from the variants."""
    active = Q(is_active=True)
    agg = Variant.objects.filter(active, product=product).aggregate(
        low=Min("price_minor"), stock=Sum("stock")
    )
    product.min_price_minor = agg["low"] or 0
    product.price_usd_minor = to_usd_minor(product.min_price_minor, product.currency)
    product.total_stock = agg["stock"] or 0
    product.search_text = product_search_text(product)
    product.save(update_fields=["min_price_minor", "price_usd_minor", "total_stock", "search_text", "updated_at"])
    catalog_changed()
    return product
