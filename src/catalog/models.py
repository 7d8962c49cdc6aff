"""The catalog (CAT-1): stores, products, variants, images, shipping methods.

Prices are integer minor units in the product's currency. A product keeps a
few derived columns (lowest price, that price in US cents, total stock, search
text) that catalog.services.product_refresh_summary recomputes whenever a
variant changes, so listing and search never aggregate over variants.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy

from core.countries import country_choices
from core.money import Money, currency_choices
from core.policy import policy


class Category(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    """A seller's store. One account owns at most one store."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="store")
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    tagline = models.CharField(max_length=160, blank=True)
    description = models.TextField(blank=True)
    ships_from = models.CharField("ships from (country)", max_length=2, choices=country_choices)
    currency = models.CharField(
        max_length=3, choices=currency_choices, default="USD",
        help_text=gettext_lazy("Default currency for new products."),
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ShippingMethod(models.Model):
    """A way a store ships (carrier + service), with delivery estimates per destination."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="shipping_methods")
    name = models.CharField(max_length=80)
    carrier = models.CharField(max_length=80)
    price_minor = models.PositiveIntegerField(default=0, help_text=gettext_lazy(
        "Shipping price in minor units."))
    currency = models.CharField(max_length=3, choices=currency_choices, default="USD")
    is_tracked = models.BooleanField(default=True)

    class Meta:
        ordering = ["store", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="unique_shipping_method_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.carrier})"

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.currency)

    def estimate_for(self, country: str) -> DeliveryEstimate | None:
        """The estimate for `country`, else the rest-of-world one (country blank)."""
        fallback = None
        for estimate in self.estimates.all():
            if estimate.country == country:
                return estimate
            if estimate.country == "":
                fallback = estimate
        return fallback


class DeliveryEstimate(models.Model):
    """Delivery time in days after shipment, to one country or (country blank) everywhere else."""

    method = models.ForeignKey(ShippingMethod, on_delete=models.CASCADE, related_name="estimates")
    country = models.CharField(
        max_length=2, choices=country_choices, blank=True,
        help_text=gettext_lazy("Leave blank for every other destination."),
    )
    min_days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(120)])
    max_days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(120)])

    class Meta:
        ordering = ["country"]
        constraints = [
            models.UniqueConstraint(fields=["method", "country"], name="one_estimate_per_country"),
            models.CheckConstraint(
                condition=models.Q(max_days__gte=models.F("min_days")), name="estimate_min_le_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country or 'Elsewhere'}: {self.min_days}–{self.max_days} days"


class Product(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    title = models.CharField(max_length=140)
    slug = models.SlugField(max_length=160, unique=True)
    description = models.TextField(blank=True)
    currency = models.CharField(max_length=3, choices=currency_choices, default="USD")
    processing_days = models.PositiveSmallIntegerField(
        default=policy.default_processing_days,
        validators=[MinValueValidator(1), MaxValueValidator(policy.max_processing_days)],
        help_text=gettext_lazy("Business days the seller needs before shipping (ORD-4)."),
    )
    free_return = models.BooleanField(
        default=False, help_text=gettext_lazy(
            "Returnable for any reason within the Free Return window (RET-1).")
    )
    warranty = models.BooleanField(
        default=False, help_text=gettext_lazy("One-year commercial warranty (WAR-1).")
    )
    domestic_delivery = models.BooleanField(
        default=False, help_text=gettext_lazy("Ships from a warehouse in the buyer's country: no customs.")
    )
    warehouse_country = models.CharField(
        max_length=2, choices=country_choices, blank=True,
        help_text=gettext_lazy("Country of the domestic warehouse (required with domestic delivery)."),
    )
    shipping_methods = models.ManyToManyField(ShippingMethod, blank=True, related_name="products")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Derived from the variants by catalog.services.product_refresh_summary.
    min_price_minor = models.PositiveIntegerField(default=0)
    price_usd_minor = models.PositiveIntegerField(default=0, db_index=True)
    total_stock = models.PositiveIntegerField(default=0)
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["is_active", "category", "price_usd_minor"]),
            models.Index(fields=["is_active", "free_return"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("catalog:product", kwargs={"slug": self.slug})

    @property
    def price(self) -> Money:
        return Money(self.min_price_minor, self.currency)

    @property
    def in_stock(self) -> bool:
        return self.is_active and self.total_stock > 0


class Variant(models.Model):
    """One buyable combination of options (e.g. colour Indigo, size M) with its own price and stock."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64)
    options = models.JSONField(default=dict, blank=True, help_text=gettext_lazy(
        'e.g. {"Colour": "Indigo", "Size": "M"}'))
    price_minor = models.PositiveIntegerField()
    stock = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "sku"], name="unique_sku_per_product"),
        ]

    def __str__(self) -> str:
        return f"{self.product.title} — {self.label}"

    @property
    def label(self) -> str:
        """The options sorted by name, so the label reads the same on every database
        (PostgreSQL's jsonb does not keep key order)."""
        return ", ".join(f"{k}: {v}" for k, v in sorted(self.options.items())) or "Standard"

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.product.currency)

    @property
    def available(self) -> bool:
        return self.is_active and self.stock > 0 and self.product.is_active


def product_image_path(instance: ProductImage, filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to=product_image_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=product_image_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"Image {self.position} of {self.product}"

    @property
    def thumbnail_url(self) -> str:
        """The small version when one was made, else the original."""
        return self.thumbnail.url if self.thumbnail else self.image.url
