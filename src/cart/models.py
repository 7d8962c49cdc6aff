"""A minimal cart: lines of variants per person. Checkout comes with the orders issue."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy

from catalog.models import Variant


class CartLine(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart_lines"
    )
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="cart_lines")
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    price_seen_minor = models.PositiveIntegerField(
        help_text=gettext_lazy("The unit price when the line was added or last seen, to show price changes.")
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "variant"], name="one_cart_line_per_variant"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="cart_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant}"
