"""Small display helpers for catalog templates."""

from django import template

from core.countries import country_name

register = template.Library()


@register.filter
def country(code: str) -> str:
    """The English name of an ISO country code (the code itself when unknown)."""
    return country_name(code) if code else ""


@register.filter
def day_range(estimate) -> str:
    """'5–9 days' or '7 days' for a DeliveryEstimate."""
    low, high = estimate.min_days, estimate.max_days
    if low == high:
        return f"{low} day{'s' if low != 1 else ''}"
    return f"{low}–{high} days"
