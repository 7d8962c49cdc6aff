"""Back office for carts."""

from django.contrib import admin

from cart.models import CartLine
from core.money import Money, format_money


@admin.register(CartLine)
class CartLineAdmin(admin.ModelAdmin):
    list_display = ["user", "variant", "quantity", "price_seen", "added_at"]
    search_fields = ["user__email", "variant__sku", "variant__product__title"]
    autocomplete_fields = ["user", "variant"]
    list_select_related = ["user", "variant__product"]
    readonly_fields = ["added_at"]
    date_hierarchy = "added_at"

    @admin.display(description="unit price seen", ordering="price_seen_minor")
    def price_seen(self, obj: CartLine) -> str:
        return format_money(Money(obj.price_seen_minor, obj.variant.product.currency), "en_US")
