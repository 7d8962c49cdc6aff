from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from catalog.models import Product


class WishItem(models.Model):
    """A product a person keeps on their wish list (WSH-1)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wish_items"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="wished_by")
    price_when_added_minor = models.PositiveIntegerField(
        help_text=gettext_lazy("The product's lowest price when it was added, to show a price drop.")
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="one_wish_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.user} ♥ {self.product}"
