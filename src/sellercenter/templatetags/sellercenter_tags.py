"""Template helpers for the seller center: prices in the product's own currency."""

from django import template

from core.countries import country_name
from core.money import Money, format_money

register = template.Library()


@register.simple_tag(takes_context=True)
def seller_price(context, amount: int, currency: str) -> str:
    """{% seller_price variant.price_minor product.currency %} → “$24.50”, per locale."""
    request = context.get("request")
    return format_money(Money(int(amount), currency), getattr(request, "money_locale", "en_US"))


@register.filter
def country_label(code: str) -> str:
    return country_name(code) if code else "Rest of the world"
