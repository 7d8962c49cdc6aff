from django import template

from appeals.models import Appeal

register = template.Library()


@register.simple_tag
def pending_appeal(user):
    """PAY-3: the user's appeal waiting for documents (None when there is none)."""
    from appeals.services import appeal_pending_for

    return appeal_pending_for(buyer=user) if getattr(user, "is_authenticated", False) else None


@register.simple_tag
def order_appeal(order) -> Appeal | None:
    """The latest appeal covering this order (None when there is none)."""
    return order.appeals.order_by("-created_at", "-pk").first()
