"""Display helpers of the coupon pages.

    {% load coupon_pages %}
    {% benefit_text promotion %}   {# "10 % off, up to US$20.00 · minimum spend US$50.00" #}
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from core.money import Money, format_money

register = template.Library()


def _money(amount: int, currency: str, locale: str) -> str:
    return format_money(Money(int(amount), currency), locale)


def benefit(promotion, locale: str = "en_US") -> str:
    """What a promotion gives, in words: the benefit, its cap and the minimum spend. Takes a
    Promotion or a coupon row of coupons.selectors (a dict with the same names)."""
    def get(name):
        return promotion.get(name) if isinstance(promotion, dict) else getattr(promotion, name)

    currency = get("currency")
    if get("percent_bp") is not None:
        text = _("%(percent)s %% off") % {"percent": str(Decimal(get("percent_bp")) / 100)}
        if get("max_discount_minor"):
            cap = _money(get("max_discount_minor"), currency, locale)
            text += ", " + _("up to %(amount)s") % {"amount": cap}
    else:
        text = _("%(amount)s off") % {"amount": _money(get("amount_minor") or 0, currency, locale)}
    if get("min_spend_minor"):
        text += " · " + _("minimum spend %(amount)s") % {
            "amount": _money(get("min_spend_minor"), currency, locale)}
    return text


@register.simple_tag(takes_context=True)
def benefit_text(context, promotion) -> str:
    request = context.get("request")
    return benefit(promotion, getattr(request, "money_locale", "en_US") or "en_US")
