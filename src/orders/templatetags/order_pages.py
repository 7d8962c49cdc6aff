"""Display helpers of the order pages.

    {% load order_pages %}
    {% order_money order.total_minor order.currency %}  {# the exact amount, order currency #}
    {% countdown c %}                                    {# an orders.selectors.Countdown #}
    {% when instant %}                                   {# <time>: UTC; site.js shows it locally #}

Order amounts are shown in the currency the order was placed in (no display-currency
conversion: this is what is charged and refunded).
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from core.money import Money, format_money

register = template.Library()

DATE_FORMAT = "D j M Y, H:i"


@register.simple_tag(takes_context=True)
def order_money(context, amount, currency: str = "") -> str:
    if amount is None or amount == "":
        return ""
    money = amount if isinstance(amount, Money) else Money(int(amount), currency)
    request = context.get("request")
    return format_money(money, getattr(request, "money_locale", "en_US") or "en_US")


def _utc_text(instant: dt.datetime) -> str:
    return date_format(localtime(instant, dt.UTC), DATE_FORMAT) + " UTC"


@register.simple_tag
def when(instant) -> str:
    """A <time> element: the UTC date and time; site.js rewrites it in the reader's time zone."""
    if not instant:
        return ""
    iso = instant.astimezone(dt.UTC).isoformat()
    return format_html('<time datetime="{}" data-local-time>{}</time>', iso, _utc_text(instant))


@register.inclusion_tag("orders/_countdown.html")
def countdown(c) -> dict:
    return {
        "c": c,
        "iso": c.due_at.astimezone(dt.UTC).isoformat() if c else "",
        "now_iso": c.now.astimezone(dt.UTC).isoformat() if c and c.now else "",
        "utc_text": _utc_text(c.due_at) if c else "",
    }
