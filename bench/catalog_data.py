"""A reproducible benchmark catalog, written with bulk operations.

Used by bench/pages.py when `manage.py seed_demo` cannot make a catalog of the
requested size without images. Django must be set up before importing this.
Every product goes through catalog.services.product_refresh_summary, so the
derived columns (lowest price, US-cent price, stock, search text) are exactly
what the site computes.
"""

from __future__ import annotations

import random

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import User
from catalog.models import Category, DeliveryEstimate, Product, ShippingMethod, Store, Variant
from catalog.services import product_refresh_summary

CATEGORIES = [
    ("Story cloths", "story-cloths"),
    ("Paj ntaub", "paj-ntaub"),
    ("Silver jewellery", "silver-jewellery"),
    ("Batik", "batik"),
    ("Bags and purses", "bags-and-purses"),
    ("Hats and headwear", "hats-and-headwear"),
    ("Baby carriers", "baby-carriers"),
    ("Clothing", "clothing"),
    ("Home textiles", "home-textiles"),
    ("Musical instruments", "musical-instruments"),
    ("Basketry", "basketry"),
    ("Kitchen and wood", "kitchen-and-wood"),
]
ADJECTIVES = ["indigo", "embroidered", "reverse-applique", "cross-stitched", "hand-dyed",
              "beaded", "silver", "batik", "pleated", "woven", "red", "black", "green", "gold"]
NOUNS = ["story cloth", "collar", "sash", "purse", "tote", "skirt", "jacket", "hat", "pillow cover",
         "wall hanging", "necklace", "bracelet", "earrings", "baby carrier", "apron", "runner"]
ORIGINS = ["TH", "LA", "VN", "US", "CN", "FR"]
CURRENCIES = ["USD", "USD", "USD", "EUR", "THB", "GBP"]


@transaction.atomic
def load_catalog(*, products: int, stores: int = 40, seed: int = 20260101) -> int:
    """Create `products` products (2–3 variants each) in `stores` stores. Returns the count."""
    rng = random.Random(seed)
    categories = Category.objects.bulk_create(
        [Category(name=name, slug=slug, position=i) for i, (name, slug) in enumerate(CATEGORIES)]
    )
    password = make_password(None)
    owners = User.objects.bulk_create(
        [User(email=f"bench-seller-{i}@example.test", password=password, first_name="Bench",
              last_name=f"Seller {i}") for i in range(stores)]
    )
    store_rows = Store.objects.bulk_create(
        [Store(owner=owner, name=f"Bench Store {i}", slug=f"bench-store-{i}",
               tagline="Handmade in small batches", ships_from=ORIGINS[i % len(ORIGINS)],
               currency=CURRENCIES[i % len(CURRENCIES)]) for i, owner in enumerate(owners)]
    )
    methods = ShippingMethod.objects.bulk_create(
        [ShippingMethod(store=s, name=name, carrier=carrier, price_minor=price, currency="USD")
         for s in store_rows
         for name, carrier, price in (("Standard", "National post", 450), ("Express", "DHL", 1900))]
    )
    DeliveryEstimate.objects.bulk_create(
        [DeliveryEstimate(method=m, country=country, min_days=lo, max_days=hi)
         for m in methods
         for country, lo, hi in (("", 12, 25), ("US", 8, 15), ("FR", 10, 20))]
    )
    methods_by_store: dict[int, list[ShippingMethod]] = {}
    for m in methods:
        methods_by_store.setdefault(m.store_id, []).append(m)

    rows = []
    for i in range(products):
        store = store_rows[i % len(store_rows)]
        title = f"{rng.choice(ADJECTIVES).capitalize()} {rng.choice(NOUNS)} no. {i + 1}"
        rows.append(Product(
            store=store, category=categories[i % len(categories)], title=title,
            slug=f"bench-product-{i + 1}", currency=store.currency,
            description=f"{title}, made by hand. " + " ".join(rng.sample(ADJECTIVES, 4)),
            processing_days=rng.randint(2, 10), free_return=rng.random() < 0.5,
            warranty=rng.random() < 0.3,
        ))
    product_rows = Product.objects.bulk_create(rows)
    Variant.objects.bulk_create(
        [Variant(product=p, sku=f"B{p.pk}-{j}", options={"Colour": colour, "Size": size},
                 price_minor=rng.randint(800, 25000), stock=rng.randint(0, 12), position=j)
         for p in product_rows
         for j, (colour, size) in enumerate(
             [("Indigo", "S"), ("Red", "M"), ("Black", "L")][: rng.randint(2, 3)])]
    )
    through = Product.shipping_methods.through
    through.objects.bulk_create(
        [through(product_id=p.pk, shippingmethod_id=m.pk)
         for p in product_rows for m in methods_by_store[p.store_id]]
    )
    summaries = Product.objects.select_related("store", "category").prefetch_related("variants")
    for product in summaries:
        product_refresh_summary(product=product)
    return len(product_rows)
