"""Catalog writes. Every change that can alter a price, stock or listing goes
through here so the derived product columns and the catalog version (used in
cache keys) stay exact.

The seller services (CAT-1) check their input in one place and raise
core.errors.DomainError: code "validation_error" with per-field messages
(status 422) for bad input, a more specific code for conflicts. Pages and the
API only parse and call them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Min, ProtectedError, Q, RestrictedError, Sum
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy

from catalog.images import MAX_IMAGES_PER_PRODUCT, ImageRejected, image_prepare
from catalog.models import (
    Category,
    DeliveryEstimate,
    Product,
    ProductImage,
    ShippingMethod,
    Store,
    Variant,
)
from core.counters import counter_bump
from core.countries import is_country
from core.errors import Conflict, DomainError
from core.money import Money, currencies, format_money, to_usd_minor
from core.policy import policy

CATALOG_VERSION = "catalog"

# Field limits beyond the model's own max_length (text columns have none).
STORE_DESCRIPTION_MAX = 5000
PRODUCT_DESCRIPTION_MAX = 10000
OPTION_MAX_COUNT = 5
OPTION_NAME_MAX = 30
OPTION_VALUE_MAX = 60
STOCK_MAX = 1_000_000
# No price or shipping fee above the equivalent of this many US cents ($1,000,000).
PRICE_MAX_USD_MINOR = 100_000_000
PRICE_COLUMN_MAX = 2**31 - 1  # PositiveIntegerField on every database
ESTIMATE_MIN_DAYS = 1
ESTIMATE_MAX_DAYS = 120
REQUIRED = gettext_lazy("This field is required.")
NAME_TAKEN = gettext_lazy("Another store already has this name. Choose a different one.")


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
    product.save(update_fields=[
        "min_price_minor", "price_usd_minor", "total_stock", "search_text", "updated_at",
    ])
    catalog_changed()
    return product


# --- input checking -------------------------------------------------------------


class _Unset:
    """Marks an update argument that was not given (the current value stays)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


class FieldErrors:
    """Collects per-field messages and raises them together as one DomainError."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def __contains__(self, field: str) -> bool:
        return field in self.fields

    def raise_if_any(self) -> None:
        if self.fields:
            raise invalid(self.fields)


def invalid(fields: dict[str, list[str]]) -> DomainError:
    return DomainError(gettext("Some fields are invalid."), code="validation_error", fields=fields,
                       status=422)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(errors: FieldErrors, field: str, value: object, *, max_length: int,
          required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, gettext("Enter text."))
        return ""
    value = value.strip()
    if required and not value:
        errors.add(field, str(REQUIRED))
    elif len(value) > max_length:
        errors.add(field, gettext("Use at most %(max)s characters (this has %(count)s).")
                   % {"max": max_length, "count": len(value)})
    return value


def _flag(errors: FieldErrors, field: str, value: object) -> bool:
    if not isinstance(value, bool):
        errors.add(field, gettext("Choose yes or no."))
        return False
    return value


def _currency(errors: FieldErrors, field: str, value: object) -> str:
    if value is not None and not isinstance(value, str):
        errors.add(field, gettext("Enter a three-letter currency code, e.g. USD."))
        return ""
    code = (value or "").strip().upper()
    if not code:
        errors.add(field, str(REQUIRED))
    elif code not in currencies():
        errors.add(field, gettext("%(code)s is not a currency we support. Choose one of: %(choices)s.")
                   % {"code": code, "choices": ", ".join(currencies())})
    return code


def _country(errors: FieldErrors, field: str, value: object, *, required: bool = True) -> str:
    if value is not None and not isinstance(value, str):
        errors.add(field, gettext("Enter a two-letter country code, e.g. TH."))
        return ""
    code = (value or "").strip().upper()
    if not code:
        if required:
            errors.add(field, str(REQUIRED))
    elif not is_country(code):
        errors.add(field, gettext("“%(code)s” is not a country code we know "
                                  "(use two letters, e.g. TH).") % {"code": code[:10]})
    return code


def _int_in_range(errors: FieldErrors, field: str, value: object, *, low: int, high: int,
                  unit: str = "") -> int:
    suffix = f" {unit}" if unit else ""
    if value is None or value == "":
        errors.add(field, str(REQUIRED))
        return 0
    if not _is_int(value):
        errors.add(field, gettext("Enter a whole number."))
        return 0
    if not low <= value <= high:
        errors.add(field, gettext("Enter a number from %(low)s to %(high)s%(suffix)s.")
                   % {"low": f"{low:,}", "high": f"{high:,}", "suffix": suffix})
    return value


def _amount(errors: FieldErrors, field: str, value: object, currency: str, *,
            allow_zero: bool) -> int:
    """An amount in minor units of `currency`, within the marketplace's price ceiling."""
    if value is None or value == "":
        errors.add(field, str(REQUIRED))
        return 0
    if not _is_int(value):
        errors.add(field, gettext("Enter the amount as a whole number of minor units "
                                  "(e.g. 2450 for 24.50)."))
        return 0
    if value < 0 or (value == 0 and not allow_zero):
        errors.add(field, gettext("Must be more than zero.") if not allow_zero
                   else gettext("Cannot be negative."))
        return value
    if currency in currencies():
        ceiling = price_ceiling(currency)
        if value > ceiling.amount:
            errors.add(field, gettext("Must be at most %(amount)s.") % {"amount": format_money(ceiling)})
    return value


def price_ceiling(currency: str) -> Money:
    """The highest price or shipping fee a seller may set in `currency`: the equivalent of
    PRICE_MAX_USD_MINOR, and never more than the price columns hold."""
    ceiling = Money(PRICE_MAX_USD_MINOR, "USD").convert(currency)
    return Money(min(ceiling.amount, PRICE_COLUMN_MAX), currency)


def _unique_slug(model: type, base: str, *, max_length: int, fallback: str) -> str:
    """`base` as a slug, with -2, -3… when taken. Slugs hold only [a-z0-9_-]."""
    base = (slugify(base) or fallback)[: max_length - 6].strip("-") or fallback
    taken = set(model.objects.filter(slug__regex=rf"^{base}(-[0-9]+)?$")
                .values_list("slug", flat=True))
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _save_unique(save, on_conflict: dict[str, list[str]] | DomainError):
    """Run `save` in a savepoint; a unique-constraint race becomes a clean error."""
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        if isinstance(on_conflict, DomainError):
            raise on_conflict from None
        raise invalid(on_conflict) from None


# --- stores ---------------------------------------------------------------------


def _store_clean(*, store: Store | None, name: object, tagline: object, description: object,
                 ships_from: object, currency: object) -> dict:
    errors = FieldErrors()
    data = {
        "name": _text(errors, "name", name, max_length=80, required=True),
        "tagline": _text(errors, "tagline", tagline, max_length=160),
        "description": _text(errors, "description", description, max_length=STORE_DESCRIPTION_MAX),
        "ships_from": _country(errors, "ships_from", ships_from),
        "currency": _currency(errors, "currency", currency),
    }
    if "name" not in errors:
        clash = Store.objects.filter(name__iexact=data["name"])
        if store is not None:
            clash = clash.exclude(pk=store.pk)
        if clash.exists():
            errors.add("name", str(NAME_TAKEN))
    errors.raise_if_any()
    return data


@transaction.atomic
def store_create(*, owner, name: str, tagline: str = "", description: str = "",
                 ships_from: str, currency: str = "USD") -> Store:
    """Open the owner's store (CAT-1). One store per account; the name is unique."""
    if Store.objects.filter(owner=owner).exists():
        raise Conflict(gettext("You already have a store."), code="store_exists")
    data = _store_clean(store=None, name=name, tagline=tagline, description=description,
                        ships_from=ships_from, currency=currency)
    slug = _unique_slug(Store, data["name"], max_length=80, fallback="store")
    try:
        with transaction.atomic():
            store = Store.objects.create(owner=owner, slug=slug, **data)
    except IntegrityError:  # a store was opened at the same moment
        if Store.objects.filter(owner=owner).exists():
            raise Conflict(gettext("You already have a store."), code="store_exists") from None
        raise invalid({"name": [str(NAME_TAKEN)]}) from None
    catalog_changed()
    return store


@transaction.atomic
def store_update(*, store: Store, name: str = UNSET, tagline: str = UNSET,
                 description: str = UNSET, ships_from: str = UNSET,
                 currency: str = UNSET) -> Store:
    """Change the store's details; arguments not given keep their value. The slug stays."""
    given = {"name": name, "tagline": tagline, "description": description,
             "ships_from": ships_from, "currency": currency}
    merged = {k: getattr(store, k) if v is UNSET else v for k, v in given.items()}
    data = _store_clean(store=store, **merged)
    for key, value in data.items():
        setattr(store, key, value)
    _save_unique(
        lambda: store.save(update_fields=list(data)),
        {"name": [str(NAME_TAKEN)]},
    )
    catalog_changed()
    return store


# --- products -------------------------------------------------------------------


def _category(errors: FieldErrors, value: object) -> Category | None:
    if isinstance(value, Category):
        return value
    if value is None or value == "":
        errors.add("category", str(REQUIRED))
        return None
    if not _is_int(value):
        errors.add("category", gettext("Choose a category from the list."))
        return None
    category = Category.objects.filter(pk=value).first()
    if category is None:
        errors.add("category", gettext("This category does not exist. Choose one from the list."))
    return category


def _shipping_methods(errors: FieldErrors, store: Store, ids: object) -> list[ShippingMethod]:
    if ids is None:
        return []
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        errors.add("shipping_method_ids", gettext("Give a list of shipping method ids."))
        return []
    ids = list(ids)
    if not all(_is_int(i) for i in ids):
        errors.add("shipping_method_ids", gettext("Shipping method ids are whole numbers."))
        return []
    methods = list(ShippingMethod.objects.filter(store=store, pk__in=ids))
    unknown = sorted(set(ids) - {m.pk for m in methods})
    if unknown:
        errors.add("shipping_method_ids",
                   gettext("Not shipping methods of your store: %(ids)s.")
                   % {"ids": ", ".join(map(str, unknown))})
    return methods


def _product_clean(*, store: Store, product: Product | None, values: dict) -> dict:
    errors = FieldErrors()
    data: dict[str, Any] = {
        "category": _category(errors, values["category"]),
        "title": _text(errors, "title", values["title"], max_length=140, required=True),
        "description": _text(errors, "description", values["description"],
                             max_length=PRODUCT_DESCRIPTION_MAX),
        "currency": _currency(errors, "currency", values["currency"] or store.currency),
        "free_return": _flag(errors, "free_return", values["free_return"]),
        "warranty": _flag(errors, "warranty", values["warranty"]),
        "domestic_delivery": _flag(errors, "domestic_delivery", values["domestic_delivery"]),
    }
    days = values["processing_days"]
    data["processing_days"] = _int_in_range(
        errors, "processing_days",
        policy.default_processing_days if days is None or days == "" else days,
        low=1, high=policy.max_processing_days, unit=gettext("business days"))
    warehouse = _country(errors, "warehouse_country", values["warehouse_country"],
                         required=False)
    if data["domestic_delivery"] and not warehouse and "warehouse_country" not in errors:
        errors.add("warehouse_country",
                   gettext("Say which country the warehouse is in for domestic delivery."))
    data["warehouse_country"] = warehouse if data["domestic_delivery"] else ""
    if (product is not None and "currency" not in errors
            and data["currency"] != product.currency and product.variants.exists()):
        errors.add("currency", gettext("The currency cannot change while the product has variants: "
                                       "their prices are in the current currency."))
    methods = _shipping_methods(errors, store, values["shipping_method_ids"])
    errors.raise_if_any()
    return data | {"shipping_methods": methods}


@transaction.atomic
def product_create(*, store: Store, category: Category | int | None, title: str,
                   description: str = "", currency: str = "",
                   processing_days: int | None = None, free_return: bool = False,
                   warranty: bool = False, domestic_delivery: bool = False,
                   warehouse_country: str = "",
                   shipping_method_ids: Iterable[int] = ()) -> Product:
    """Add a product to the store (CAT-1). It is buyable once it has a variant."""
    values = {
        "category": category, "title": title, "description": description, "currency": currency,
        "processing_days": processing_days, "free_return": free_return, "warranty": warranty,
        "domestic_delivery": domestic_delivery, "warehouse_country": warehouse_country,
        "shipping_method_ids": shipping_method_ids,
    }
    data = _product_clean(store=store, product=None, values=values)
    methods = data.pop("shipping_methods")
    slug = _unique_slug(Product, data["title"], max_length=160, fallback="product")
    product = _save_unique(
        lambda: Product.objects.create(store=store, slug=slug, **data),
        Conflict(gettext("Another product was saved with the same address at the same moment. "
                 "Please try again."), code="slug_conflict"),
    )
    product.shipping_methods.set(methods)
    return product_refresh_summary(product=product)


@transaction.atomic
def product_update(*, product: Product, category: Category | int | None = UNSET,
                   title: str = UNSET, description: str = UNSET, currency: str = UNSET,
                   processing_days: int | None = UNSET, free_return: bool = UNSET,
                   warranty: bool = UNSET, domestic_delivery: bool = UNSET,
                   warehouse_country: str = UNSET,
                   shipping_method_ids: Iterable[int] = UNSET) -> Product:
    """Change a product; arguments not given keep their value. The slug (its address) stays."""
    given = {
        "category": category, "title": title, "description": description, "currency": currency,
        "processing_days": processing_days, "free_return": free_return, "warranty": warranty,
        "domestic_delivery": domestic_delivery, "warehouse_country": warehouse_country,
    }
    values = {k: getattr(product, k) if v is UNSET else v for k, v in given.items()}
    keep_methods = shipping_method_ids is UNSET
    values["shipping_method_ids"] = None if keep_methods else shipping_method_ids
    data = _product_clean(store=product.store, product=product, values=values)
    methods = data.pop("shipping_methods")
    for key, value in data.items():
        setattr(product, key, value)
    product.save()
    if not keep_methods:
        product.shipping_methods.set(methods)
    return product_refresh_summary(product=product)


@transaction.atomic
def product_set_active(*, product: Product, active: bool) -> Product:
    """List or unlist a product. Unlisted products stay in the seller center but not in search."""
    if not isinstance(active, bool):
        raise invalid({"is_active": [gettext("Choose yes or no.")]})
    if product.is_active != active:
        product.is_active = active
        product.save(update_fields=["is_active", "updated_at"])
        catalog_changed()
    return product


# --- variants ---------------------------------------------------------------------


def _options(errors: FieldErrors, value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add("options", gettext('Give the options as names and values, e.g. {"Colour": "Indigo"}.'))
        return {}
    if len(value) > OPTION_MAX_COUNT:
        errors.add("options", gettext("Use at most %(count)s options.") % {"count": OPTION_MAX_COUNT})
        return {}
    clean: dict[str, str] = {}
    for key, val in value.items():
        if not isinstance(key, str) or not isinstance(val, str):
            errors.add("options", gettext("Option names and values are short texts."))
            continue
        key, val = key.strip(), val.strip()
        if not key or not val:
            errors.add("options", gettext("Every option needs a name and a value."))
        elif len(key) > OPTION_NAME_MAX:
            errors.add("options", gettext("Option names have at most %(max)s characters (“%(text)s…”).")
                       % {"max": OPTION_NAME_MAX, "text": key[:20]})
        elif len(val) > OPTION_VALUE_MAX:
            errors.add("options", gettext("Option values have at most %(max)s characters (“%(text)s…”).")
                       % {"max": OPTION_VALUE_MAX, "text": val[:20]})
        elif key.casefold() in {k.casefold() for k in clean}:
            errors.add("options", gettext("The option “%(name)s” is given twice.") % {"name": key})
        else:
            clean[key] = val
    return clean


def _options_key(options: dict) -> frozenset:
    return frozenset((str(k).casefold(), str(v).casefold()) for k, v in options.items())


def _variant_clean(*, product: Product, variant: Variant | None, sku: object, options: object,
                   price_minor: object, stock: object) -> dict:
    errors = FieldErrors()
    data = {
        "sku": _text(errors, "sku", sku, max_length=64, required=True),
        "options": _options(errors, options),
        "price_minor": _amount(errors, "price_minor", price_minor, product.currency,
                               allow_zero=False),
        "stock": _int_in_range(errors, "stock", stock, low=0, high=STOCK_MAX),
    }
    siblings = Variant.objects.filter(product=product)
    if variant is not None:
        siblings = siblings.exclude(pk=variant.pk)
    if "sku" not in errors and siblings.filter(sku__iexact=data["sku"]).exists():
        errors.add("sku", gettext("Another variant of this product has this SKU."))
    if "options" not in errors:
        key = _options_key(data["options"])
        if any(_options_key(o) == key for o in siblings.values_list("options", flat=True)):
            errors.add("options", gettext("Another variant of this product has exactly these options."))
    errors.raise_if_any()
    return data


@transaction.atomic
def variant_create(*, product: Product, sku: str, options: dict[str, str] | None,
                   price_minor: int, stock: int) -> Variant:
    """Add a buyable variant (CAT-1); the product's lowest price and stock follow."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    data = _variant_clean(product=product, variant=None, sku=sku, options=options,
                          price_minor=price_minor, stock=stock)
    position = (product.variants.aggregate(top=Max("position"))["top"] or 0) + 1
    variant = _save_unique(
        lambda: Variant.objects.create(product=product, position=position, **data),
        {"sku": [gettext("Another variant of this product has this SKU.")]},
    )
    product_refresh_summary(product=product)
    return variant


@transaction.atomic
def variant_update(*, variant: Variant, sku: str = UNSET,
                   options: dict[str, str] | None = UNSET, price_minor: int = UNSET,
                   stock: int = UNSET) -> Variant:
    """Change a variant; arguments not given keep their value."""
    product = Product.objects.select_for_update().get(pk=variant.product_id)
    given = {"sku": sku, "options": options, "price_minor": price_minor, "stock": stock}
    merged = {k: getattr(variant, k) if v is UNSET else v for k, v in given.items()}
    data = _variant_clean(product=product, variant=variant, **merged)
    for key, value in data.items():
        setattr(variant, key, value)
    _save_unique(lambda: variant.save(update_fields=list(data)),
                 {"sku": [gettext("Another variant of this product has this SKU.")]})
    variant.product = product
    product_refresh_summary(product=product)
    return variant


@transaction.atomic
def variant_delete(*, variant: Variant) -> bool:
    """Remove a variant. One that orders still refer to is switched off instead.

    Returns True when the row was deleted, False when it was only deactivated.
    """
    product = Product.objects.select_for_update().get(pk=variant.product_id)
    try:
        with transaction.atomic():
            variant.delete()
        deleted = True
    except (ProtectedError, RestrictedError):
        Variant.objects.filter(pk=variant.pk).update(is_active=False)
        deleted = False
    product_refresh_summary(product=product)
    return deleted


# --- shipping methods and delivery estimates ---------------------------------------


def _shipping_clean(*, store: Store, method: ShippingMethod | None, name: object,
                    carrier: object, price_minor: object, currency: object,
                    is_tracked: object) -> dict:
    errors = FieldErrors()
    data = {
        "name": _text(errors, "name", name, max_length=80, required=True),
        "carrier": _text(errors, "carrier", carrier, max_length=80, required=True),
        "currency": _currency(errors, "currency", currency or store.currency),
        "is_tracked": _flag(errors, "is_tracked", is_tracked),
    }
    data["price_minor"] = _amount(errors, "price_minor", price_minor, data["currency"],
                                  allow_zero=True)
    if "name" not in errors:
        clash = ShippingMethod.objects.filter(store=store, name__iexact=data["name"])
        if method is not None:
            clash = clash.exclude(pk=method.pk)
        if clash.exists():
            errors.add("name", gettext("Your store already has a shipping method with this name."))
    errors.raise_if_any()
    return data


@transaction.atomic
def shipping_method_create(*, store: Store, name: str, carrier: str, price_minor: int = 0,
                           currency: str = "", is_tracked: bool = True) -> ShippingMethod:
    """Add a way the store ships (carrier and service) with its price (CAT-1)."""
    data = _shipping_clean(store=store, method=None, name=name, carrier=carrier,
                           price_minor=price_minor, currency=currency, is_tracked=is_tracked)
    method = _save_unique(
        lambda: ShippingMethod.objects.create(store=store, **data),
        {"name": [gettext("Your store already has a shipping method with this name.")]},
    )
    catalog_changed()
    return method


@transaction.atomic
def shipping_method_update(*, method: ShippingMethod, name: str = UNSET, carrier: str = UNSET,
                           price_minor: int = UNSET, currency: str = UNSET,
                           is_tracked: bool = UNSET) -> ShippingMethod:
    given = {"name": name, "carrier": carrier, "price_minor": price_minor,
             "currency": currency, "is_tracked": is_tracked}
    merged = {k: getattr(method, k) if v is UNSET else v for k, v in given.items()}
    data = _shipping_clean(store=method.store, method=method, **merged)
    for key, value in data.items():
        setattr(method, key, value)
    _save_unique(lambda: method.save(update_fields=list(data)),
                 {"name": [gettext("Your store already has a shipping method with this name.")]})
    catalog_changed()
    return method


@transaction.atomic
def shipping_method_delete(*, method: ShippingMethod) -> None:
    """Remove a shipping method; products simply stop offering it."""
    try:
        with transaction.atomic():
            method.delete()
    except (ProtectedError, RestrictedError):
        raise Conflict(gettext("Orders still use this shipping method, so it cannot be removed."),
                       code="shipping_method_in_use") from None
    catalog_changed()


@transaction.atomic
def delivery_estimate_set(*, method: ShippingMethod, country: str, min_days: int,
                          max_days: int) -> DeliveryEstimate:
    """Set the delivery time (days after shipment) to `country`; blank = rest of the world."""
    errors = FieldErrors()
    code = _country(errors, "country", country, required=False)
    low = _int_in_range(errors, "min_days", min_days, low=ESTIMATE_MIN_DAYS,
                        high=ESTIMATE_MAX_DAYS, unit=gettext("days"))
    high = _int_in_range(errors, "max_days", max_days, low=ESTIMATE_MIN_DAYS,
                         high=ESTIMATE_MAX_DAYS, unit=gettext("days"))
    if "min_days" not in errors and "max_days" not in errors and low > high:
        errors.add("max_days", gettext("The longest time cannot be shorter than the shortest time."))
    errors.raise_if_any()
    estimate, _ = DeliveryEstimate.objects.update_or_create(
        method=method, country=code, defaults={"min_days": low, "max_days": high}
    )
    catalog_changed()
    return estimate


@transaction.atomic
def delivery_estimate_delete(*, method: ShippingMethod, country: str) -> bool:
    """Remove the estimate for `country` (blank = rest of the world). True when one existed."""
    deleted, _ = DeliveryEstimate.objects.filter(
        method=method, country=(country or "").strip().upper()
    ).delete()
    if deleted:
        catalog_changed()
    return bool(deleted)


# --- images -------------------------------------------------------------------------


def _alt_text(value: object) -> str:
    errors = FieldErrors()
    text = _text(errors, "alt_text", value, max_length=200)
    errors.raise_if_any()
    return text


@transaction.atomic
def product_image_add(*, product: Product, upload, alt_text: str = "") -> ProductImage:
    """Check an uploaded picture (catalog.images), store a clean copy and its thumbnail."""
    if upload is None:
        raise ImageRejected(str(REQUIRED))
    text = _alt_text(alt_text)
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.images.count() >= MAX_IMAGES_PER_PRODUCT:
        raise ImageRejected(gettext("A product has at most %(count)s images. "
                                    "Remove one before adding another.") % {"count": MAX_IMAGES_PER_PRODUCT})
    prepared = image_prepare(upload)
    position = (product.images.aggregate(top=Max("position"))["top"] or 0) + 1
    image = ProductImage(product=product, alt_text=text, position=position)
    image.image.save(prepared.original.name, prepared.original, save=False)
    image.thumbnail.save(prepared.thumbnail.name, prepared.thumbnail, save=False)
    try:
        image.save()
    except Exception:
        # The row was not written: do not leave its files behind.
        for name in (image.image.name, image.thumbnail.name):
            image.image.storage.delete(name)
        raise
    catalog_changed()
    return image


@transaction.atomic
def product_image_update(*, image: ProductImage, alt_text: str) -> ProductImage:
    image.alt_text = _alt_text(alt_text)
    image.save(update_fields=["alt_text"])
    catalog_changed()
    return image


@transaction.atomic
def product_image_delete(*, image: ProductImage) -> None:
    """Remove an image and, once the change is committed, its files."""
    storage = image.image.storage
    names = [name for name in (image.image.name, image.thumbnail.name) if name]
    image.delete()
    catalog_changed()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
