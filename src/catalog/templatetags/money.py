"""`{% money %}`: a price formatted for the visitor.

    {% load money %}
    {% money product.price %}            {# a core.money.Money #}
    {% money 2500 "EUR" %}               {# minor units + currency #}

Formats with request.money_locale and, when the visitor chose a display
currency (request.display_currency), converts to it first; a converted amount
is marked "≈" because reference rates are approximate.
"""

from __future__ import annotations

from django import template

from core.money import Money, convert, format_money

register = template.Library()


def display_money(money: Money, *, currency: str = "", locale: str = "en_US") -> str:
    if currency and currency != money.currency:
        return "≈ " + format_money(convert(money, currency), locale)
    return format_money(money, locale)


@register.simple_tag(takes_context=True)
def money(context, value, currency: str | None = None) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, Money):
        value = Money(int(value), currency or "USD")
    request = context.get("request")
    return display_money(
        value,
        currency=getattr(request, "display_currency", "") or "",
        locale=getattr(request, "money_locale", "en_US") or "en_US",
    )
