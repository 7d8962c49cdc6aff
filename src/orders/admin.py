"""Back office for orders: read only. An order changes only through orders.transitions
(which records the timeline and arms deadlines); staff actions get their own screens (OPS-1)."""

from django.apps import apps
from django.contrib import admin

from core.admin import read_only_admin, read_only_inline, register_read_only_app
from orders.models import Order, OrderEvent


def _order_inlines() -> list:
    """Every model that hangs off an order (lines, timeline, tracking, requests, refunds…)."""
    inlines = []
    for model in apps.get_models():
        if model is Order:
            continue
        links = [f for f in model._meta.concrete_fields
                 if f.is_relation and f.many_to_one and f.related_model is Order]
        if not links:
            continue
        fields = None
        if model is OrderEvent:
            fields = ["at", "actor", "actor_user", "kind", "from_state", "to_state", "reason"]
        inlines.append(read_only_inline(model, fields=fields, fk_name=links[0].name))
    return inlines


admin.site.register(Order, read_only_admin(
    Order,
    list_display=["number", "buyer", "store", "state", "close_reason", "total_minor",
                  "placed_at", "ship_by", "protection_ends_at"],
    list_filter=["state", "close_reason", "currency"],
    search_fields=["number", "buyer__email", "store__name", "tracking_number", "ship_last_name"],
    date_hierarchy="placed_at",
    inlines=_order_inlines(),
))
register_read_only_app("orders", OrderEvent={
    "list_display": ["order", "at", "actor", "kind", "from_state", "to_state", "reason"],
    "list_filter": ["actor", "kind"],
    "search_fields": ["order__number", "kind", "reason"],
    "date_hierarchy": "at",
})
