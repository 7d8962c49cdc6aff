"""`manage.py seed_demo`: the demo marketplace is complete, valid and idempotent."""

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count

from accounts.models import Address, User
from catalog.models import (
    Category,
    DeliveryEstimate,
    Product,
    ProductImage,
    ShippingMethod,
    Store,
    Variant,
)
from core.demo import content
from core.models import Counter, Holiday
from core.money import currencies
from wishlist.models import WishItem

pytestmark = pytest.mark.django_db

MODELS = [
    User,
    Address,
    Category,
    Store,
    ShippingMethod,
    DeliveryEstimate,
    Product,
    Variant,
    ProductImage,
    WishItem,
    Holiday,
    Counter,
]
INT32_MAX = 2**31 - 1  # PositiveIntegerField on PostgreSQL


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Row counts, a checksum of the key fields, and every media file with its bytes and mtime."""
    rows = {
        "users": list(
            User.objects.order_by("email").values_list(
                "email", "password", "first_name", "last_name", "is_staff", "is_superuser"
            )
        ),
        "stores": list(
            Store.objects.order_by("slug").values_list(
                "slug", "name", "ships_from", "currency", "owner__email"
            )
        ),
        "estimates": list(
            DeliveryEstimate.objects.order_by("method_id", "country").values_list(
                "method__name", "country", "min_days", "max_days"
            )
        ),
        "products": list(
            Product.objects.order_by("slug").values_list(
                "slug",
                "title",
                "min_price_minor",
                "price_usd_minor",
                "total_stock",
                "search_text",
                "processing_days",
                "free_return",
                "warranty",
                "domestic_delivery",
                "warehouse_country",
                "updated_at",
            )
        ),
        "variants": list(
            Variant.objects.order_by("product__slug", "sku").values_list(
                "product__slug", "sku", "options", "price_minor", "stock"
            )
        ),
        "images": list(
            ProductImage.objects.order_by("product__slug", "position").values_list(
                "product__slug", "position", "image", "thumbnail", "width", "height"
            )
        ),
        "wishes": list(WishItem.objects.order_by("product__slug").values_list("product__slug")),
        "holidays": list(Holiday.objects.values_list("date", "name")),
        "counters": list(Counter.objects.order_by("name").values_list("name", "value")),
    }
    checksum = hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()
    media = Path(settings.MEDIA_ROOT)
    files = (
        {
            str(p.relative_to(media)): (
                hashlib.sha256(p.read_bytes()).hexdigest(),
                p.stat().st_mtime_ns,
            )
            for p in sorted(media.rglob("*"))
            if p.is_file()
        }
        if media.exists()
        else {}
    )
    return {
        "counts": {m.__name__: m.objects.count() for m in MODELS},
        "checksum": checksum,
        "files": files,
    }


def test_full_demo_then_second_run_changes_nothing():
    # RULE CAT-1: stores, products with variants, stock, images, shipping estimates, flags.
    output = seed()
    first = snapshot()
    counts = first["counts"]
    assert counts["Product"] >= 80
    assert counts["Store"] >= 7
    assert counts["ProductImage"] >= counts["Product"]
    assert len(first["files"]) == 2 * counts["ProductImage"]  # each picture and its thumbnail
    for email in ("buyer", "seller1", "seller2", "staff"):
        assert f"{email}@demo.hmong-artisans.test" in output
    assert content.DEMO_PASSWORD in output

    again = seed()
    assert "none (all present)" in again
    assert snapshot() == first  # same rows, same key fields, no file rewritten


def test_demo_logins_work(client):
    seed("--products", "3", "--no-images")
    for email in ("buyer", "seller1", "seller2", "staff"):
        assert client.login(
            email=f"{email}@demo.hmong-artisans.test", password=content.DEMO_PASSWORD
        ), email
        client.logout()
    # ACC-1: email verification is mandatory; the demo people sign in through the real form
    response = client.post("/accounts/login/", {"login": "buyer@demo.hmong-artisans.test",
                                                "password": content.DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] != "/accounts/confirm-email/"
    assert "_auth_user_id" in client.session
    staff = User.objects.get(email="staff@demo.hmong-artisans.test")
    assert staff.is_staff and staff.is_superuser
    buyer = User.objects.get(email="buyer@demo.hmong-artisans.test")
    assert not buyer.is_staff
    assert Store.objects.filter(owner__email="seller1@demo.hmong-artisans.test").exists()
    assert Store.objects.filter(owner__email="seller2@demo.hmong-artisans.test").exists()
    # ACC-7: the buyer's default address has a complete name.
    address = Address.objects.get(user=buyer, is_default=True)
    assert address.has_complete_name


def test_stores_currencies_and_delivery_estimates():
    # RULE CAT-1: delivery-time estimate per destination country, with a rest-of-world fallback.
    seed("--products", "0", "--no-images")
    stores = list(Store.objects.all())
    assert {"US", "TH", "LA", "VN", "FR", "CN"} <= {s.ships_from for s in stores}
    assert {"USD", "THB", "EUR", "LAK", "VND"} <= {s.currency for s in stores}
    assert all(s.currency in currencies() for s in stores)
    for method in ShippingMethod.objects.prefetch_related("estimates"):
        countries = {e.country for e in method.estimates.all()}
        assert set(content.DESTINATIONS) | {""} <= countries, method
        assert all(e.min_days <= e.max_days for e in method.estimates.all())
        assert method.estimate_for("JP").country == ""  # elsewhere: the fallback
        assert method.currency == method.store.currency


def test_category_tree():
    seed("--products", "0", "--no-images")
    names = set(Category.objects.values_list("name", flat=True))
    for name in (
        "Story cloths",
        "Paj ntaub embroidery",
        "Silver jewellery",
        "Batik & indigo",
        "Baskets & bamboo",
        "Clothing",
        "Home & decor",
        "Accessories",
    ):
        assert name in names
    clothing = Category.objects.get(slug="clothing")
    assert clothing.children.count() >= 3


def test_products_are_varied_and_valid():
    # RULE CAT-1: variants, prices in the store's currency, stock, processing days, flags.
    seed("--no-images")
    products = Product.objects.annotate(n=Count("variants")).select_related("store")
    assert products.count() >= 80
    assert {p.n for p in products} <= set(range(1, 7))
    assert max(p.n for p in products) >= 4
    assert all(2 <= p.processing_days <= 15 for p in products)
    assert all(p.currency == p.store.currency for p in products)
    assert products.filter(free_return=True).exists()
    assert products.filter(warranty=True).exists()
    domestic = products.filter(domestic_delivery=True)
    assert domestic.exists()
    assert not domestic.filter(warehouse_country="").exists()
    assert products.filter(total_stock=0).exists()  # some sold out
    assert Variant.objects.filter(stock=0, product__total_stock__gt=0).exists()
    assert all(p.shipping_methods.exists() for p in products[:10])
    assert Category.objects.filter(products__isnull=False).distinct().count() >= 12
    for variant in Variant.objects.select_related("product"):
        assert 0 < variant.price_minor <= INT32_MAX
    for product in products:
        low = min(v.price_minor for v in product.variants.all())
        assert product.min_price_minor == low
        assert product.search_text
    buyer = User.objects.get(email="buyer@demo.hmong-artisans.test")
    assert WishItem.objects.filter(user=buyer).count() >= 3  # RULE WSH-1


def test_us_federal_holidays_are_loaded():
    seed("--products", "0", "--no-images")
    days = dict(Holiday.objects.values_list("date", "name"))
    assert len(days) == 22
    # Observed dates when the holiday falls on a weekend.
    assert days[content.date(2026, 7, 3)] == "Independence Day"
    assert days[content.date(2027, 7, 5)] == "Independence Day"
    assert days[content.date(2027, 12, 24)] == "Christmas Day"
    assert days[content.date(2026, 11, 26)] == "Thanksgiving Day"
    assert days[content.date(2027, 6, 18)] == "Juneteenth National Independence Day"


def test_existing_holiday_is_kept():
    Holiday.objects.create(date=content.date(2026, 12, 25), name="Company closed")
    seed("--products", "0", "--no-images")
    assert Holiday.objects.get(date=content.date(2026, 12, 25)).name == "Company closed"


def test_products_option_adds_numbered_copies_in_bulk():
    seed("--products", "150", "--no-images")
    assert Product.objects.count() == 150
    copies = Product.objects.filter(title__contains="· No.")
    assert copies.count() == 150 - len(content.curated_products())
    for product in copies.prefetch_related("variants"):
        variants = list(product.variants.all())
        assert variants
        assert product.min_price_minor == min(v.price_minor for v in variants)
        assert product.total_stock == sum(v.stock for v in variants)
        assert product.price_usd_minor > 0 and product.search_text
        assert product.shipping_methods.exists()
    seed("--products", "150", "--no-images")
    assert Product.objects.count() == 150


def test_products_option_rejects_bad_values():
    with pytest.raises(CommandError, match="between 0 and"):
        seed("--products", "-1")
    with pytest.raises(CommandError, match="invalid int value"):
        seed("--products", "many")
    assert not Product.objects.exists()


def test_a_clash_with_existing_data_is_a_clear_error_not_a_traceback():
    from tests.factories import StoreFactory

    StoreFactory(name="Paj Ntaub House")  # another account already uses a demo store's name
    with pytest.raises(CommandError, match="Another store already has this name"):
        seed("--products", "0", "--no-images")
    assert not User.objects.filter(email__endswith="@demo.hmong-artisans.test").exists()


def test_prices_are_whole_minor_units_a_shop_would_print():
    assert content.shop_price(2500, "USD") == 2499
    assert content.shop_price(2500, "EUR") == 2299  # 23.00 EUR at 0.92, less a cent
    assert content.shop_price(2500, "THB") == 89000  # 890 baht, to the 10
    assert content.shop_price(2500, "VND") % 5000 == 0  # no minor unit, to 5,000 dong
    assert content.shop_price(2500, "LAK") % (5000 * 100) == 0
    assert all(
        isinstance(content.shop_price(n, c), int) for n in (1, 99, 123456) for c in currencies()
    )
