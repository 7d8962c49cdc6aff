"""Fill the database with the demo marketplace (`manage.py seed_demo`).

Idempotent: every row is looked up by a natural key (email, store owner,
category slug, product store + title, holiday date…) and only created when
missing; nothing that exists is updated, so a second run writes nothing and
rewrites no image file. Deterministic: the same content, prices, stock and
pictures every time.

Writes go through the services of each area (accounts, catalog, wishlist)
so the demo rows pass the same checks as a seller's. Only the extra numbered
products asked for with `--products N` (for load tests) are bulk-inserted;
their derived columns are still computed by catalog.services.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Address, User
from accounts.services import address_create, user_register, user_update_profile
from catalog.models import (
    Category,
    DeliveryEstimate,
    Product,
    ShippingMethod,
    Store,
    Variant,
)
from catalog.services import (
    delivery_estimate_set,
    product_create,
    product_image_add,
    product_refresh_summary,
    shipping_method_create,
    store_create,
    variant_create,
)
from core import clock
from core.demo import content
from core.demo.content import DEMO_PASSWORD, PersonSpec, ProductSpec, StoreSpec
from core.demo.images import pattern_jpeg
from core.errors import DomainError
from core.models import Holiday
from wishlist.services import wishlist_add

BULK_BATCH = 500


@dataclass
class SeedResult:
    created: Counter = field(default_factory=Counter)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (email, role)
    promo_codes: list[tuple[str, str]] = field(default_factory=list)  # (code, what it gives), CPN-1


def demo_seed(
    *, products: int | None = None, images: bool = True, log: Callable[[str], None] = lambda _: None
) -> SeedResult:
    """Create whatever of the demo data is missing; return what was created.

    `products`: how many demo products to have (default: the ~120 described
    ones; above that, numbered copies are added in bulk). `images`: draw and
    attach product pictures.
    """
    curated = content.curated_products()
    wanted = len(curated) if products is None else products
    specs = curated[:wanted] + content.extra_products(max(0, wanted - len(curated)))
    result = SeedResult()
    with transaction.atomic():
        people = _people(result)
        categories = _categories(result)
        stores = {
            spec.key: _store(spec, people[spec.owner.email], result) for spec in content.STORES
        }
        _holidays(result)
        made = _products(specs[: len(curated)], stores, categories, result)
        made |= _bulk_products(specs[len(curated) :], stores, categories, result)
        _buyer_extras(people[content.BUYER.email], made, result)
        from helpcenter.loader import help_load  # HLP-1, HLP-3: the shipped help articles and customs data

        loaded = help_load(now=timezone.now())
        result.created.update({f"help_{kind}": n for kind, n in loaded.created.items()})
        from coupons.demo import demo_coupons  # CPN-1, CPN-4: every coupon kind and a running sale page

        result.promo_codes = demo_coupons(
            stores=stores, staff=people[content.STAFF.email], buyer=people[content.BUYER.email],
            now=clock.now(), created=result.created,
        )
    log(f"Rows created: {_summary(result.created)}")
    if images:
        _images(specs, made, result, log)
    return result


# --- people -------------------------------------------------------------------


def _people(result: SeedResult) -> dict[str, User]:
    specs = [content.BUYER, *content.SELLERS, content.STAFF]
    existing = {u.email: u for u in User.objects.filter(email__in=[p.email for p in specs])}
    people = {}
    for spec in specs:
        user = existing.get(spec.email) or _person_create(spec, result)
        people[spec.email] = user
        result.logins.append((spec.email, spec.role))
    return people


def _person_create(spec: PersonSpec, result: SeedResult) -> User:
    from allauth.account.models import EmailAddress

    if spec.is_staff:
        user = User.objects.create_superuser(spec.email, DEMO_PASSWORD)
        EmailAddress.objects.get_or_create(
            user=user, email=spec.email, defaults={"primary": True, "verified": True}
        )
    else:
        user = user_register(email=spec.email, password=DEMO_PASSWORD)
        # Demo addresses cannot receive mail: count them as confirmed.
        EmailAddress.objects.filter(user=user, email=spec.email).update(verified=True)
    user_update_profile(
        user=user, changes={"first_name": spec.first_name, "last_name": spec.last_name}
    )
    result.created["users"] += 1
    return user


# --- categories, stores, shipping ------------------------------------------------------


def _categories(result: SeedResult) -> dict[str, Category]:
    """The category tree (staff-managed data, so plain rows: sellers have no service for it)."""
    found = {
        c.slug: c for c in Category.objects.filter(slug__in=[c.slug for c in content.CATEGORIES])
    }
    for position, spec in enumerate(content.CATEGORIES):
        if spec.slug not in found:
            found[spec.slug] = Category.objects.create(
                slug=spec.slug,
                name=spec.name,
                description=spec.description,
                parent=found[spec.parent] if spec.parent else None,
                position=position,
            )
            result.created["categories"] += 1
    return found


def _store(spec: StoreSpec, owner: User, result: SeedResult) -> Store:
    store = Store.objects.filter(owner=owner).first()
    if store is None:
        store = store_create(
            owner=owner,
            name=spec.name,
            tagline=spec.tagline,
            description=spec.description,
            ships_from=spec.ships_from,
            currency=spec.currency,
        )
        result.created["stores"] += 1
    methods = {m.name: m for m in ShippingMethod.objects.filter(store=store)}
    have = set(
        DeliveryEstimate.objects.filter(method__store=store).values_list("method_id", "country")
    )
    for method_spec in spec.methods:
        method = methods.get(method_spec.name)
        if method is None:
            method = shipping_method_create(
                store=store,
                name=method_spec.name,
                carrier=method_spec.carrier,
                price_minor=content.shop_price(method_spec.price_usd_cents, spec.currency),
                currency=spec.currency,
            )
            methods[method.name] = method
            result.created["shipping methods"] += 1
        for country in [*content.DESTINATIONS, ""]:
            if (method.pk, country) in have:
                continue
            low, high = content.delivery_days(
                ships_from=spec.ships_from, destination=country, express=method_spec.express
            )
            delivery_estimate_set(method=method, country=country, min_days=low, max_days=high)
            result.created["delivery estimates"] += 1
    return store


def _holidays(result: SeedResult) -> None:
    existing = set(Holiday.objects.values_list("date", flat=True))
    for year in content.HOLIDAY_YEARS:
        for day, name in content.us_federal_holidays(year):
            if day not in existing:
                Holiday.objects.create(date=day, name=name)
                result.created["holidays"] += 1


# --- products --------------------------------------------------------------------


def _existing(specs: list[ProductSpec], stores: dict[str, Store]) -> dict[tuple[int, str], Product]:
    titles = {spec.title for spec in specs}
    store_ids = {store.pk for store in stores.values()}
    rows = Product.objects.filter(store_id__in=store_ids, title__in=titles)
    return {(p.store_id, p.title): p for p in rows}


def _products(
    specs: list[ProductSpec],
    stores: dict[str, Store],
    categories: dict[str, Category],
    result: SeedResult,
) -> dict[str, Product]:
    """The described products, each made through the seller services."""
    existing = _existing(specs, stores)
    method_ids = _method_ids(stores)
    made = {}
    for spec in specs:
        store = stores[spec.store]
        product = existing.get((store.pk, spec.title))
        if product is None:
            product = product_create(
                store=store,
                category=categories[spec.category],
                title=spec.title,
                description=spec.description,
                currency=spec.currency,
                processing_days=spec.processing_days,
                free_return=spec.free_return,
                warranty=spec.warranty,
                domestic_delivery=spec.domestic_delivery,
                warehouse_country=spec.warehouse_country,
                shipping_method_ids=method_ids[store.pk],
            )
            for v in spec.variants:
                variant_create(
                    product=product,
                    sku=v.sku,
                    options=v.options,
                    price_minor=v.price_minor,
                    stock=v.stock,
                )
            result.created["products"] += 1
            result.created["variants"] += len(spec.variants)
        made[spec.slug] = product
    return made


def _bulk_products(
    specs: list[ProductSpec],
    stores: dict[str, Store],
    categories: dict[str, Category],
    result: SeedResult,
) -> dict[str, Product]:
    """Numbered copies for load tests, inserted in bulk; summaries by product_refresh_summary."""
    if not specs:
        return {}
    existing = _existing(specs, stores)
    method_ids = _method_ids(stores)
    missing = [s for s in specs if (stores[s.store].pk, s.title) not in existing]
    taken = set(
        Product.objects.filter(slug__in=[s.slug for s in missing]).values_list("slug", flat=True)
    )
    missing = [s for s in missing if s.slug not in taken]
    new = Product.objects.bulk_create(
        [
            Product(
                store=stores[s.store],
                category=categories[s.category],
                title=s.title,
                slug=s.slug,
                description=s.description,
                currency=s.currency,
                processing_days=s.processing_days,
                free_return=s.free_return,
                warranty=s.warranty,
                domestic_delivery=s.domestic_delivery,
                warehouse_country=s.warehouse_country,
            )
            for s in missing
        ],
        batch_size=BULK_BATCH,
    )
    Variant.objects.bulk_create(
        [
            Variant(
                product=p,
                sku=v.sku,
                options=v.options,
                price_minor=v.price_minor,
                stock=v.stock,
                position=i + 1,
            )
            for p, s in zip(new, missing, strict=True)
            for i, v in enumerate(s.variants)
        ],
        batch_size=BULK_BATCH,
    )
    through = Product.shipping_methods.through
    through.objects.bulk_create(
        [
            through(product_id=p.pk, shippingmethod_id=m)
            for p in new
            for m in method_ids[p.store_id]
        ],
        batch_size=BULK_BATCH,
    )
    for product in new:
        product_refresh_summary(product=product)
    result.created["products"] += len(new)
    result.created["variants"] += sum(len(s.variants) for s in missing)
    made = {(p.store_id, p.title): p for p in [*existing.values(), *new]}
    return {
        s.slug: made[(stores[s.store].pk, s.title)]
        for s in specs
        if (stores[s.store].pk, s.title) in made
    }


def _method_ids(stores: dict[str, Store]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {store.pk: [] for store in stores.values()}
    for method_id, store_id in ShippingMethod.objects.filter(store__in=stores.values()).values_list(
        "pk", "store_id"
    ):
        out[store_id].append(method_id)
    return out


# --- the buyer's address and wish list ----------------------------------------------


def _buyer_extras(buyer: User, made: dict[str, Product], result: SeedResult) -> None:
    if not Address.objects.filter(user=buyer).exists():
        address_create(user=buyer, make_default=True, **content.BUYER_ADDRESS)
        result.created["addresses"] += 1
    by_title = {p.title: p for p in made.values()}
    for title in content.WISHED_TITLES:
        product = by_title.get(title)
        if product is None:
            continue
        try:
            _, created = wishlist_add(user=buyer, product=product)
        except DomainError:  # no longer sold in this database
            continue
        if created:
            result.created["wish-list items"] += 1


# --- pictures ------------------------------------------------------------------------


def _images(
    specs: list[ProductSpec],
    made: dict[str, Product],
    result: SeedResult,
    log: Callable[[str], None],
) -> None:
    """Draw and attach each product's pictures; a product that has its pictures is left alone."""
    counts = Counter(
        Product.objects.filter(
            pk__in=[p.pk for p in made.values()], images__isnull=False
        ).values_list("pk", flat=True)
    )
    added = 0
    for spec in specs:
        product = made.get(spec.slug)
        if product is None:
            continue
        for index in range(counts[product.pk], spec.image_count):
            picture = pattern_jpeg(seed=spec.slug, index=index)
            product_image_add(
                product=product,
                upload=ContentFile(picture, name=f"{spec.slug}-{index + 1}.jpg"),
                alt_text=f"{spec.title}, picture {index + 1} of {spec.image_count}",
            )
            added += 1
    result.created["product images"] += added
    if added:
        log(f"Pictures drawn: {added}")


def _summary(created: Counter) -> str:
    parts = [f"{n} {name}" for name, n in sorted(created.items()) if n]
    return ", ".join(parts) or "none (all present)"
