"""Small builders shared by the wish list and cart tests."""

from catalog.models import Product
from catalog.services import product_refresh_summary
from tests.factories import ProductFactory


def make_product(*, price=2500, stock=5, **kwargs) -> Product:
    """A product with one variant (no options)."""
    return ProductFactory(variants=[{"price_minor": price, "stock": stock}], **kwargs)


def make_sized_product(*, stocks=(4, 0, 7), prices=(3000, 3000, 3500), **kwargs) -> Product:
    """A product with size variants S, M, L that differ in options (a choice is needed)."""
    specs = [
        {"price_minor": p, "stock": s, "options": {"Size": size}}
        for size, p, s in zip(("S", "M", "L"), prices, stocks, strict=True)
    ]
    return ProductFactory(variants=specs, **kwargs)


def set_price(product: Product, price: int) -> Product:
    """Reprice every variant of the product (as the seller would) and refresh its summary."""
    product.variants.update(price_minor=price)
    return product_refresh_summary(product=product)


def set_stock(product: Product, stock: int) -> Product:
    product.variants.update(stock=stock)
    return product_refresh_summary(product=product)
