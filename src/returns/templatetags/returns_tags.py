"""The order page's Free Return block (RET-1…RET-3, HLP-4).

    {% load returns_tags %}{% free_return_block order %}

Shows, for an order with Free Return items: the start form when returns.rules allows a
return (and whether it is free or at the buyer's cost, RET-2), else the rule's reason and
the date it becomes possible or ended; then the order's returns with links to their pages.
"""

from __future__ import annotations

from django import template

from core import clock
from returns import selectors

register = template.Library()


def block_context(*, request, order, csrf_token=None, errors: dict | None = None,
                  values: dict | None = None, error: str = "") -> dict:
    now = clock.now()
    block = selectors.free_return_block(order=order, now=now)
    errors, values = errors or {}, values or {}
    rows = [
        {
            "line": row.line,
            "units_left": row.units_left,
            "value": values.get(row.line.pk, row.units_left),
            "errors": errors.get(f"lines.{row.line.pk}", []),
        }
        for row in block.lines
    ]
    context = {
        "request": request,
        "order": order,
        "fr": block,
        "rows": rows,
        "now": now,
        "errors": errors or {},
        "values": values or {},
        "error": error,
    }
    if csrf_token is not None:  # in a page; a view rendering the block alone gets it from the request
        context["csrf_token"] = csrf_token
    return context


@register.inclusion_tag("returns/_free_return_block.html", takes_context=True, name="free_return_block")
def free_return_block_tag(context, order) -> dict:
    return block_context(request=context.get("request"), order=order, csrf_token=context.get("csrf_token"))


@register.inclusion_tag("returns/_seller_order_returns.html", name="seller_order_returns")
def seller_order_returns_tag(order) -> dict:
    """The seller's order page: the order's returns, with links to the seller center (RET-3)."""
    return {"order": order, "returns": list(selectors.order_returns(order=order))}
