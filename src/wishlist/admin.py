"""Back office for wish lists (WSH-1)."""

from django.contrib import admin

from core.money import Money, format_money
from wishlist.models import WishItem


@admin.register(WishItem)
class WishItemAdmin(admin.ModelAdmin):
    list_display = ["user", "product", "price_when_added", "added_at"]
    search_fields = ["user__email", "product__title"]
    autocomplete_fields = ["user", "product"]
    list_select_related = ["user", "product"]
    readonly_fields = ["added_at"]
    date_hierarchy = "added_at"

    @admin.display(description="price when added", ordering="price_when_added_minor")
    def price_when_added(self, obj: WishItem) -> str:
        return format_money(Money(obj.price_when_added_minor, obj.product.currency), "en_US")
