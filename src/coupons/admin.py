"""Coupons in the Django admin: read-only listings. Sellers and staff create, edit and pause
promotions through the seller center and the back office (coupons.manage, audited); checkout
writes redemptions and discounts (coupons.services)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from coupons.models import (
    CollectedCoupon,
    LineDiscount,
    OrderDiscount,
    Promotion,
    Redemption,
    RefundCouponUse,
    SalePage,
    StoreFollow,
)


@admin.register(Promotion)
class PromotionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "title", "kind", "store", "code", "starts_at", "ends_at", "redeemed_count",
                    "total_stock", "paused"]
    list_filter = ["kind", "paused"]
    search_fields = ["title", "code", "store__name"]


@admin.register(SalePage)
class SalePageAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "starts_at", "ends_at"]
    search_fields = ["name", "slug"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "promotion", "user", "status"]
    list_filter = ["status"]


@admin.register(OrderDiscount)
class OrderDiscountAdmin(ReadOnlyAdmin):
    list_display = ["pk", "order", "promotion", "amount_minor", "funder"]


admin.site.register([CollectedCoupon, LineDiscount, StoreFollow, RefundCouponUse], ReadOnlyAdmin)
