"""Coupons and discounts (CPN-1…CPN-8).

- `Promotion`: one discount of one of the five kinds (CPN-1). Its *conditions* (minimum
  spend, validity period, eligible products/categories/users), its *benefit* (a percentage
  in basis points or a fixed amount, optionally capped) and its *availability* (stock,
  per-user limit, paused) are columns; coupons.engine reads them. Who funds it follows from
  the kind: store_* kinds are seller-funded, platform_* kinds platform-funded.
- `SalePage`: a staff campaign with a period where buyers collect platform coupons.
- `CollectedCoupon`: the buyer's wallet ("My Coupons", CPN-4).
- `Redemption`: one use of a promotion by a buyer in one checkout (CPN-8). `redeemed_count`
  on the promotion moves with it in the same transaction (conditional UPDATE), and a check
  constraint keeps it within the stock, so the stock can never be oversold.
- `OrderDiscount` / `LineDiscount`: what each source took off an order and how it was
  allocated over the lines (CPN-5, CPN-7); partial refunds read them.
- `StoreFollow`: a buyer following a store (eligibility "followers").
- `RefundCouponUse`: a COD refund coupon (payments.RefundCoupon, PAY-4) spent at checkout.

Amounts are integer minor units: of the store's currency for store kinds, of
`currency` for platform kinds.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import currency_choices


class Kind(models.TextChoices):
    STORE_INSTANT = "store_instant", _("Store instant discount")
    STORE_COUPON = "store_coupon", _("Store coupon")
    STORE_CODE = "store_code", _("Store promo code")
    PLATFORM_COUPON = "platform_coupon", _("Hmong Artisans coupon")
    PLATFORM_CODE = "platform_code", _("Hmong Artisans promo code")


STORE_KINDS = (Kind.STORE_INSTANT, Kind.STORE_COUPON, Kind.STORE_CODE)
PLATFORM_KINDS = (Kind.PLATFORM_COUPON, Kind.PLATFORM_CODE)
CODE_KINDS = (Kind.STORE_CODE, Kind.PLATFORM_CODE)
COLLECTED_KINDS = (Kind.STORE_COUPON, Kind.PLATFORM_COUPON)


class Funder(models.TextChoices):
    SELLER = "seller", _("Seller")
    PLATFORM = "platform", _("Hmong Artisans")


class Eligible(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    NEW_BUYERS = "new_buyers", _("New buyers (no paid order yet)")
    FOLLOWERS = "followers", _("Followers of the store")


def funder_of(kind: str) -> str:
    return Funder.PLATFORM if kind in PLATFORM_KINDS else Funder.SELLER


class SalePage(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                name="sale_page_ends_after_start", condition=Q(ends_at__gt=models.F("starts_at"))
            )
        ]

    def __str__(self) -> str:
        return self.name


class Promotion(models.Model):
    kind = models.CharField(max_length=20, choices=Kind.choices)
    store = models.ForeignKey(
        "catalog.Store", null=True, blank=True, on_delete=models.PROTECT, related_name="promotions"
    )
    code = models.CharField(
        max_length=32, blank=True, help_text=_("Promo code kinds only; stored stripped and upper-case.")
    )
    title = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)

    # Benefit: exactly one of percent_bp / amount_minor.
    percent_bp = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Percentage off in basis points (1000 = 10 %).")
    )
    amount_minor = models.PositiveBigIntegerField(null=True, blank=True, help_text=_("Fixed amount off."))
    currency = models.CharField(max_length=3, choices=currency_choices)
    max_discount_minor = models.PositiveBigIntegerField(
        null=True, blank=True, help_text=_("Cap of a percentage discount.")
    )

    # Conditions (CPN-2).
    min_spend_minor = models.PositiveBigIntegerField(default=0)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    eligible_users = models.CharField(max_length=12, choices=Eligible.choices, default=Eligible.EVERYONE)
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="promotions")
    categories = models.ManyToManyField("catalog.Category", blank=True, related_name="promotions")

    # Availability (CPN-8).
    per_user_limit = models.PositiveIntegerField(default=1)
    total_stock = models.PositiveIntegerField(null=True, blank=True, help_text=_("Empty: unlimited."))
    redeemed_count = models.PositiveIntegerField(default=0)
    collected_count = models.PositiveIntegerField(default=0)
    paused = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)

    sale_page = models.ForeignKey(
        SalePage, null=True, blank=True, on_delete=models.SET_NULL, related_name="promotions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "ends_at"]),
            models.Index(fields=["store", "kind"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="promotion_store_matches_kind",
                condition=(
                    Q(kind__in=["store_instant", "store_coupon", "store_code"], store__isnull=False)
                    | Q(kind__in=["platform_coupon", "platform_code"], store__isnull=True)
                ),
            ),
            models.CheckConstraint(
                name="promotion_code_matches_kind",
                condition=(
                    Q(kind__in=["store_code", "platform_code"]) & ~Q(code="")
                    | ~Q(kind__in=["store_code", "platform_code"]) & Q(code="")
                ),
            ),
            models.CheckConstraint(
                name="promotion_one_benefit",
                condition=(
                    Q(
                        percent_bp__isnull=False, percent_bp__gte=1, percent_bp__lte=10000,
                        amount_minor__isnull=True,
                    )
                    | Q(percent_bp__isnull=True, amount_minor__isnull=False, amount_minor__gte=1)
                ),
            ),
            models.CheckConstraint(
                name="promotion_ends_after_start", condition=Q(ends_at__gt=models.F("starts_at"))
            ),
            models.CheckConstraint(
                name="promotion_per_user_limit_positive", condition=Q(per_user_limit__gte=1)
            ),
            models.CheckConstraint(
                name="promotion_stock_not_oversold",
                condition=Q(total_stock__isnull=True) | Q(redeemed_count__lte=models.F("total_stock")),
            ),
            models.UniqueConstraint(
                fields=["store", "code"],
                condition=Q(store__isnull=False, archived=False) & ~Q(code=""),
                name="promotion_store_code_unique",
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(store__isnull=True, archived=False) & ~Q(code=""),
                name="promotion_platform_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def funder(self) -> str:
        return funder_of(self.kind)

    @property
    def is_platform(self) -> bool:
        return self.kind in PLATFORM_KINDS

    @property
    def stock_left(self) -> int | None:
        return None if self.total_stock is None else max(self.total_stock - self.redeemed_count, 0)


class CollectedCoupon(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coupons")
    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="collections")
    collected_at = models.DateTimeField()

    class Meta:
        ordering = ["-collected_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "promotion"], name="coupon_collected_once")]

    def __str__(self) -> str:
        return f"{self.user} holds {self.promotion_id}"


class Redemption(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Used")
        RETURNED = "returned", _("Given back")

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="redemptions")
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        related_name="redemptions",
        help_text=_("The first order it applied to "
                    "(a platform discount spreads over the checkout's orders)."),
    )
    checkout = models.ForeignKey(
        "orders.Checkout", null=True, blank=True, on_delete=models.PROTECT, related_name="redemptions"
    )
    amount_minor = models.PositiveBigIntegerField(
        help_text=_("What the promotion gave over the checkout's orders, in the promotion's currency.")
    )
    currency = models.CharField(max_length=3, help_text=_("The promotion's currency."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField()
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["promotion", "user", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "order"], name="redemption_once_per_order")
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id} on {self.order_id} ({self.status})"


class OrderDiscount(models.Model):
    """What one source (a promotion or a refund coupon) took off one order (CPN-5, CPN-7)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="discounts")
    promotion = models.ForeignKey(
        Promotion, null=True, blank=True, on_delete=models.PROTECT, related_name="order_discounts"
    )
    refund_coupon = models.ForeignKey(
        "payments.RefundCoupon",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order_discounts",
    )
    kind = models.CharField(max_length=20, help_text=_("A promotion kind, or refund_coupon."))
    title = models.CharField(max_length=120)
    amount_minor = models.PositiveBigIntegerField(help_text=_("In the order's currency."))
    source_amount_minor = models.PositiveBigIntegerField(
        help_text=_("The same part in the source's own currency (a platform discount's part as "
                    "allocated, before conversion); equal to amount_minor in one currency.")
    )
    funder = models.CharField(max_length=10, choices=Funder.choices)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                name="order_discount_one_source",
                condition=Q(promotion__isnull=False, refund_coupon__isnull=True)
                | Q(promotion__isnull=True, refund_coupon__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.title}: -{self.amount_minor} on {self.order_id}"


class LineDiscount(models.Model):
    """The share of an OrderDiscount carried by one order line (CPN-7, largest remainder)."""

    order_discount = models.ForeignKey(OrderDiscount, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.CASCADE, related_name="discounts")
    amount_minor = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order_discount", "order_line"], name="line_discount_once")
        ]

    def __str__(self) -> str:
        return f"-{self.amount_minor} on line {self.order_line_id}"


class StoreFollow(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store_follows")
    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, related_name="follows")
    followed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "store"], name="store_followed_once")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.store_id}"


class RefundCouponUse(models.Model):
    """A COD refund coupon (PAY-4) spent on an order; given back when that order closes unpaid."""

    refund_coupon = models.ForeignKey("payments.RefundCoupon", on_delete=models.PROTECT, related_name="uses")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refund_coupon_uses")
    amount_minor = models.PositiveBigIntegerField()
    status = models.CharField(
        max_length=10, choices=Redemption.Status.choices, default=Redemption.Status.ACTIVE
    )
    created_at = models.DateTimeField()
    returned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.refund_coupon_id} on {self.order_id}"
